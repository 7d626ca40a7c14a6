"""The in-process RFC 3161 TSA is real: RFC parsers accept it and c2pa-rs trusts it.

Only bare c2pa-python is used here (no project code), so these tests pin down what
c2pa-rs 0.91 reports for each timestamp/trust case; tests/support/README.md lists them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import c2pa
import pytest
import rfc3161_client
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image

# tests/ is on sys.path (pytest rootdir-less test dir), as conftest's `mediautil` import.
from support.certs import (
    EKU_ANY,
    EKU_DOCUMENT_SIGNING,
    EKU_EMAIL_PROTECTION,
    EKU_SERVER_AUTH,
    Chain,
    Issued,
    KeyType,
    KeyUsage,
    issue,
    make_chain,
    make_intermediate_ca,
    make_leaf,
    make_root_ca,
    make_tsa_leaf,
    utcnow,
)
from support.tsa import (
    TSQ_CONTENT_TYPE,
    TSR_CONTENT_TYPE,
    TimeStampResp,
    TimestampServer,
)

ALG = c2pa.C2paSigningAlg
MANIFEST: dict[str, Any] = {
    "claim_generator_info": [{"name": "test", "version": "1"}],
    "title": "x.jpg",
    "assertions": [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": (
                            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
                        ),
                    }
                ]
            },
        }
    ],
}
# Allowed signer EKUs incl. documentSigning and c2pa claimSigning, one OID per line.
EKU_TRUST_CONFIG = (
    "1.3.6.1.5.5.7.3.4\n1.3.6.1.5.5.7.3.36\n1.3.6.1.5.5.7.3.8\n"
    "1.3.6.1.5.5.7.3.9\n1.3.6.1.4.1.62558.2.1\n"
)


# -- helpers -------------------------------------------------------------------------


def post(url: str, body: bytes, content_type: str = TSQ_CONTENT_TYPE) -> tuple[int, str, bytes]:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        with err:  # closes the socket behind the error response
            return err.code, err.headers["Content-Type"], err.read()


def ts_request(
    digest: bytes, *, alg: str = "sha256", nonce: int | None = 42, cert_req: bool = True
) -> bytes:
    req: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": alg}, "hashed_message": digest},
        "cert_req": cert_req,
    }
    if nonce is not None:
        req["nonce"] = nonce
    return bytes(tsp.TimeStampReq(req).dump())


def sign_jpeg(
    tmp: Path,
    chain: Chain,
    tsa_url: str | None,
    *,
    alg: c2pa.C2paSigningAlg = ALG.ES256,
    context: dict[str, Any] | None = None,
    name: str = "signed.jpg",
) -> Path:
    src, dst = tmp / f"src-{name}", tmp / name
    Image.new("RGB", (16, 16), (200, 30, 30)).save(src, "JPEG")
    signer = c2pa.Signer.from_callback(chain.leaf.sign, alg, chain.chain_pem, tsa_url=tsa_url)
    builder = c2pa.Builder(
        MANIFEST, context=c2pa.Context.from_dict(context) if context is not None else None
    )
    with open(src, "rb") as s, open(dst, "w+b") as d:
        builder.sign(signer, "image/jpeg", s, d)
    return dst


class Report:
    """What c2pa-rs said about the active manifest."""

    def __init__(self, path: Path, settings: dict[str, Any] | None) -> None:
        if settings is None:
            reader = c2pa.Reader(str(path))
        else:
            reader = c2pa.Reader(str(path), context=c2pa.Context.from_dict(settings))
        with reader:
            self.state = reader.get_validation_state()
            active = reader.get_validation_results()["activeManifest"]
            self.codes = {
                kind: {c["code"] for c in active.get(kind, [])}
                for kind in ("success", "informational", "failure")
            }
            self.signature_info: dict[str, Any] = reader.get_active_manifest()["signature_info"]
            self.crjson: dict[str, Any] = json.loads(reader.crjson())

    @property
    def timestamp_codes(self) -> dict[str, set[str]]:
        return {k: {c for c in v if c.startswith("timeStamp.")} for k, v in self.codes.items()}

    @property
    def credential_codes(self) -> dict[str, set[str]]:
        return {
            k: {c for c in v if c.startswith("signingCredential.") and "ocsp" not in c}
            for k, v in self.codes.items()
        }


def anchors(*certs: Issued | str) -> dict[str, Any]:
    pems = [c if isinstance(c, str) else c.root.pem.decode() for c in certs]
    return {"trust": {"trust_anchors": "".join(pems)}}


stamped_gen_time: dict[Path, dt.datetime | None] = {}


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tsa() -> Iterator[TimestampServer]:
    with TimestampServer() as server:
        yield server


@pytest.fixture(scope="module")
def chain() -> Chain:
    return make_chain()


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory, tsa: TimestampServer, chain: Chain) -> Path:
    path = sign_jpeg(tmp_path_factory.mktemp("stamped"), chain, tsa.url)
    # The module's server is shared, so remember which genTime this file got.
    stamped_gen_time[path] = tsa.served[-1].gen_time
    return path


# -- the server on its own ------------------------------------------------------------


def test_granted_response_verifies_with_rfc3161_client(tsa: TimestampServer) -> None:
    before = tsa.request_count
    tsq = (
        rfc3161_client.TimestampRequestBuilder()
        .data(b"hello")
        .hash_algorithm(rfc3161_client.HashAlgorithm.SHA512)
        .cert_request(cert_request=True)
        .nonce(nonce=True)
        .build()
    )
    status, ctype, body = post(tsa.url, tsq.as_bytes())
    assert (status, ctype) == (200, TSR_CONTENT_TYPE)

    resp = rfc3161_client.decode_timestamp_response(body)
    assert resp.status == rfc3161_client.PKIStatus.GRANTED
    assert resp.tst_info.nonce == tsq.nonce
    assert resp.tst_info.message_imprint.message == hashlib.sha512(b"hello").digest()
    assert resp.tst_info.policy == x509.ObjectIdentifier(tsa.policy_oid)
    assert tsa.request_count == before + 1

    tsa_cert = tsa.tsa.cert
    verifier = (
        rfc3161_client.VerifierBuilder.from_request(tsq)
        .tsa_certificate(tsa_cert)
        .add_root_certificate(x509.load_pem_x509_certificate(tsa.root_pem.encode()))
        .build()
    )
    assert verifier.verify_message(resp, b"hello")


def test_token_structure_and_signature(tsa: TimestampServer) -> None:
    digest = hashlib.sha256(b"payload").digest()
    _, _, body = post(tsa.url, ts_request(digest, nonce=7))
    resp = tsp.TimeStampResp.load(body)
    signed = resp["time_stamp_token"]["content"]
    assert resp["time_stamp_token"]["content_type"].native == "signed_data"
    assert signed["encap_content_info"]["content_type"].native == "tst_info"

    tst = signed["encap_content_info"]["content"].parsed
    assert tst["nonce"].native == 7
    assert tst["message_imprint"]["hashed_message"].native == digest
    assert tst["accuracy"]["seconds"].native == 1

    certs = [c.chosen.dump() for c in signed["certificates"]]
    assert certs == [c.public_bytes(Encoding.DER) for c in tsa.tsa.chain]

    signer_info = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    assert set(attrs) == {
        "content_type",
        "signing_time",
        "message_digest",
        "signing_certificate_v2",
    }
    econtent = signed["encap_content_info"]["content"].contents
    assert attrs["message_digest"].native == hashlib.sha256(econtent).digest()
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(certs[0]).digest()

    # The signature is over the DER SET OF the signed attributes (RFC 5652 5.4).
    signed_attrs = cms.CMSAttributes(list(signer_info["signed_attrs"])).dump()
    public_key = tsa.tsa.cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        signer_info["signature"].native, signed_attrs, ec.ECDSA(hashes.SHA256())
    )  # raises InvalidSignature if not


def test_fake_clock_and_no_cert_req() -> None:
    fixed = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with TimestampServer(now=lambda: fixed, accuracy_seconds=None) as server:
        _, _, body = post(server.url, ts_request(bytes(32), nonce=None, cert_req=False))
    signed = tsp.TimeStampResp.load(body)["time_stamp_token"]["content"]
    tst = signed["encap_content_info"]["content"].parsed
    assert tst["gen_time"].native == fixed
    assert tst["nonce"].native is None
    assert tst["accuracy"].native is None
    assert not signed["certificates"]  # certReq false: RFC 3161 says omit them
    assert server.served[-1].gen_time == fixed


def test_naive_clock_is_a_system_failure() -> None:
    with TimestampServer(now=lambda: dt.datetime(2030, 1, 1)) as server:
        _, _, body = post(server.url, ts_request(bytes(32)))
    assert TimeStampResp.load(body)["status"]["fail_info"].native == {"system_failure"}
    assert len(server.errors) == 1


@pytest.mark.parametrize(
    ("body", "fail_info"),
    [
        (b"not asn.1 at all", "bad_data_format"),
        (ts_request(bytes(20), alg="sha1"), "bad_alg"),
        (ts_request(bytes(31)), "bad_data_format"),  # imprint shorter than SHA-256
    ],
)
def test_malformed_requests_get_rejection(
    tsa: TimestampServer, body: bytes, fail_info: str
) -> None:
    status, ctype, reply = post(tsa.url, body)
    assert (status, ctype) == (200, TSR_CONTENT_TYPE)
    parsed = rfc3161_client.decode_timestamp_response(reply)
    assert parsed.status == rfc3161_client.PKIStatus.REJECTION
    resp = TimeStampResp.load(reply)  # asn1crypto's own cannot parse a tokenless reply
    assert resp["status"]["fail_info"].native == {fail_info}
    assert tsa.served[-1].status == "rejection"


def test_wrong_content_type_and_method(tsa: TimestampServer) -> None:
    assert post(tsa.url, ts_request(bytes(32)), "application/octet-stream")[0] == 415
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tsa.url, timeout=5)
    with err.value:
        assert err.value.code == 405


def test_server_stops_cleanly() -> None:
    server = TimestampServer().start()
    url = server.url
    server.stop()
    with pytest.raises(urllib.error.URLError):
        post(url, ts_request(bytes(32)))
    server.stop()  # idempotent


# -- c2pa-rs against the server -------------------------------------------------------


def test_trusted_timestamp(stamped: Path, tsa: TimestampServer, chain: Chain) -> None:
    # TSA root next to the signer root in trust.trust_anchors is all it takes.
    rep = Report(stamped, anchors(chain.root, tsa.root_pem))
    assert rep.state == "Trusted"
    assert rep.timestamp_codes == {
        "success": {"timeStamp.validated", "timeStamp.trusted"},
        "informational": set(),
        "failure": set(),
    }
    assert "signingCredential.trusted" in rep.codes["success"]
    gen_time = stamped_gen_time[stamped]
    assert gen_time is not None
    assert rep.signature_info["time"] == gen_time.replace(microsecond=0).isoformat()
    ts_info = rep.crjson["manifests"][0]["signature"]["timeStampInfo"]
    assert ts_info["certificateInfo"]["subject"]["CN"] == "Test TSA"


def test_tsa_root_in_user_anchors_is_trusted(
    stamped: Path, tsa: TimestampServer, chain: Chain
) -> None:
    rep = Report(
        stamped, {"trust": {"trust_anchors": chain.root_pem, "user_anchors": tsa.root_pem}}
    )
    assert rep.state == "Trusted"
    assert {"timeStamp.validated", "timeStamp.trusted"} <= rep.codes["success"]


def test_untrusted_tsa_is_informational(stamped: Path, tsa: TimestampServer, chain: Chain) -> None:
    rep = Report(stamped, anchors(chain.root))
    assert rep.state == "Trusted"  # an untrusted TSA does not demote the manifest
    assert rep.timestamp_codes == {
        "success": {"timeStamp.validated"},
        "informational": {"timeStamp.untrusted"},
        "failure": set(),
    }
    assert "time" in rep.signature_info  # the time is still reported


def test_allowed_list_does_not_trust_tsa(stamped: Path, tsa: TimestampServer, chain: Chain) -> None:
    rep = Report(
        stamped, {"trust": {"trust_anchors": chain.root_pem, "allowed_list": tsa.chain_pem}}
    )
    assert "timeStamp.untrusted" in rep.codes["informational"]


def test_default_context_reports_untrusted_everything(stamped: Path) -> None:
    rep = Report(stamped, None)
    assert rep.state == "Valid"
    assert rep.codes["failure"] == {"signingCredential.untrusted"}
    assert "timeStamp.untrusted" in rep.codes["informational"]


def test_verify_timestamp_trust_false_claims_trusted(
    stamped: Path, tsa: TimestampServer, chain: Chain
) -> None:
    # Hazard for verdict logic: with the check off c2pa-rs still says timeStamp.trusted
    # for a TSA that chains to no anchor at all.
    rep = Report(
        stamped,
        {"trust": {"trust_anchors": chain.root_pem}, "verify": {"verify_timestamp_trust": False}},
    )
    assert "timeStamp.trusted" in rep.codes["success"]


def test_no_tsa_means_no_timestamp(tmp_path: Path, chain: Chain) -> None:
    rep = Report(sign_jpeg(tmp_path, chain, None), anchors(chain.root))
    assert rep.state == "Trusted"
    assert not any(rep.timestamp_codes.values())
    assert "time" not in rep.signature_info


def test_tsa_sharing_signer_root_and_intermediate(tmp_path: Path, chain: Chain) -> None:
    with TimestampServer(make_tsa_leaf(make_intermediate_ca(chain.root))) as server:
        path = sign_jpeg(tmp_path, chain, server.url)
    rep = Report(path, anchors(chain.root))
    assert rep.state == "Trusted"
    assert {"timeStamp.validated", "timeStamp.trusted"} <= rep.codes["success"]


@pytest.mark.parametrize("tsa_key", [KeyType.EC_P384, KeyType.RSA_PSS_2048])
def test_other_tsa_key_types(tmp_path: Path, chain: Chain, tsa_key: KeyType) -> None:
    with TimestampServer(make_tsa_leaf(make_root_ca("TSA Root"), key_type=tsa_key)) as server:
        path = sign_jpeg(tmp_path, chain, server.url)
        rep = Report(path, anchors(chain.root, server.root_pem))
    assert {"timeStamp.validated", "timeStamp.trusted"} <= rep.codes["success"]


@pytest.mark.parametrize(
    ("key_type", "alg"),
    [
        (KeyType.EC_P256, ALG.ES256),
        (KeyType.EC_P384, ALG.ES384),
        (KeyType.RSA_PSS_2048, ALG.PS256),
        (KeyType.ED25519, ALG.ED25519),
    ],
)
def test_signer_key_types_with_intermediate(
    tmp_path: Path, tsa: TimestampServer, key_type: KeyType, alg: c2pa.C2paSigningAlg
) -> None:
    chain = make_chain(key_type=key_type, ca_key_type=key_type, with_intermediate=True)
    rep = Report(sign_jpeg(tmp_path, chain, tsa.url, alg=alg), anchors(chain.root, tsa.root_pem))
    assert rep.state == "Trusted"
    assert rep.codes["failure"] == set()
    assert "timeStamp.trusted" in rep.codes["success"]


def test_tsa_rejection_or_outage_fails_signing(tmp_path: Path, chain: Chain) -> None:
    # c2pa-rs has no fallback: a TSA problem makes Builder.sign raise.
    with TimestampServer(reject_all=True) as server:
        url = server.url
        with pytest.raises(c2pa.C2paError.Signature):
            sign_jpeg(tmp_path, chain, server.url)
        assert server.served[-1].status == "rejection"
    with pytest.raises(c2pa.C2paError.Signature, match="http"):
        sign_jpeg(tmp_path, chain, url)  # the stopped server's port: connection refused


def test_mismatched_imprint_fails_signing(tmp_path: Path, chain: Chain) -> None:
    # c2pa-rs checks the token at signing time, so timeStamp.mismatch cannot be
    # produced through Builder.sign.
    with TimestampServer(tamper_imprint=True) as server:
        with pytest.raises(c2pa.C2paError.Signature, match="does not match"):
            sign_jpeg(tmp_path, chain, server.url)


def test_gen_time_before_cert_validity(tmp_path: Path, chain: Chain) -> None:
    # Proves c2pa-rs checks the signer cert at genTime, not at read time, but only when
    # the TSA is trusted; an untrusted token's time is ignored for validity.
    month_ago = utcnow() - dt.timedelta(days=30)
    with TimestampServer(now=lambda: month_ago) as server:
        path = sign_jpeg(tmp_path, chain, server.url)
        trusted = Report(path, anchors(chain.root, server.root_pem))
    assert trusted.state == "Invalid"
    assert trusted.credential_codes["failure"] == {
        "signingCredential.expired",
        "signingCredential.untrusted",
    }
    assert {"timeStamp.validated", "timeStamp.trusted"} <= trusted.codes["success"]

    untrusted = Report(path, anchors(chain.root))
    assert untrusted.state == "Trusted"
    assert "timeStamp.untrusted" in untrusted.codes["informational"]


def test_future_gen_time_is_accepted(tmp_path: Path, chain: Chain) -> None:
    # c2pa-rs never compares genTime with the reader's clock.
    with TimestampServer(now=lambda: utcnow() + dt.timedelta(days=30)) as server:
        rep = Report(sign_jpeg(tmp_path, chain, server.url), anchors(chain.root, server.root_pem))
    assert rep.state == "Trusted"
    assert {"timeStamp.validated", "timeStamp.trusted"} <= rep.codes["success"]


def test_gen_time_outside_tsa_cert_validity_fails_signing(tmp_path: Path, chain: Chain) -> None:
    now = utcnow()
    tsa_leaf = make_tsa_leaf(make_root_ca("TSA Root"), not_before=now - dt.timedelta(days=1))
    with TimestampServer(tsa_leaf, now=lambda: now - dt.timedelta(days=30)) as server:
        with pytest.raises(c2pa.C2paError.Signature, match="time stamp has an expired cert"):
            sign_jpeg(tmp_path, chain, server.url)


def test_verify_trust_false_still_checks_tsa(
    stamped: Path, tsa: TimestampServer, chain: Chain
) -> None:
    off = {"verify": {"verify_trust": False}}
    rep = Report(stamped, off)
    assert rep.state == "Valid"
    assert not any(rep.credential_codes.values())
    assert "timeStamp.untrusted" in rep.codes["informational"]
    rep = Report(stamped, {**off, "trust": {"user_anchors": tsa.root_pem}})
    assert "timeStamp.trusted" in rep.codes["success"]


def test_expired_cert_cannot_sign_even_with_past_gen_time(tmp_path: Path) -> None:
    now = utcnow()
    root = make_root_ca()
    expired = make_leaf(
        root, not_before=now - dt.timedelta(days=10), not_after=now - dt.timedelta(days=5)
    )
    with TimestampServer(now=lambda: now - dt.timedelta(days=7)) as server:
        with pytest.raises(c2pa.C2paError.Signature, match="not valid at time of signing"):
            sign_jpeg(tmp_path, Chain(root=root, leaf=expired), server.url)
        assert server.request_count == 0  # refused before the TSA is asked


def test_cert_expired_after_timestamped_signing(tmp_path: Path, tsa: TimestampServer) -> None:
    # c2pa-rs refuses to sign with an expired cert, so make one that expires within
    # ~1-2 s, sign with and without a timestamp, then wait it out.
    root = make_root_ca()
    # X.509 times are whole seconds: leave 1-2 s to sign before notAfter.
    not_after = (utcnow() + dt.timedelta(seconds=2)).replace(microsecond=0)
    leaf = make_leaf(root, not_before=not_after - dt.timedelta(days=1), not_after=not_after)
    short = Chain(root=root, leaf=leaf)
    with_ts = sign_jpeg(tmp_path, short, tsa.url, name="ts.jpg")
    without_ts = sign_jpeg(tmp_path, short, None, name="plain.jpg")
    while utcnow() < not_after + dt.timedelta(seconds=1.05):
        time.sleep(0.05)

    rep = Report(with_ts, anchors(root, tsa.root_pem))
    assert rep.state == "Trusted"
    assert rep.credential_codes["success"] == {"signingCredential.trusted"}
    assert rep.codes["failure"] == set()
    assert {"timeStamp.validated", "timeStamp.trusted"} <= rep.codes["success"]

    for path, settings in ((with_ts, anchors(root)), (without_ts, anchors(root, tsa.root_pem))):
        rep = Report(path, settings)
        assert rep.state == "Invalid"
        assert rep.credential_codes["failure"] == {
            "signingCredential.expired",
            "signingCredential.untrusted",
        }


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda r: make_leaf(r, ekus=[EKU_SERVER_AUTH]), id="serverAuth"),
        pytest.param(lambda r: make_leaf(r, ekus=[EKU_ANY]), id="anyEKU"),
        pytest.param(lambda r: make_leaf(r, ekus=[EKU_EMAIL_PROTECTION, EKU_ANY]), id="email+any"),
        pytest.param(lambda r: make_leaf(r, ekus=None), id="noEKU"),
        pytest.param(lambda r: make_leaf(r, include_aki=False), id="noAKI"),
        pytest.param(
            lambda r: issue(cn="CA leaf", issuer=r, is_ca=True, ekus=[EKU_EMAIL_PROTECTION]),
            id="CA",
        ),
    ],
)
def test_bad_signer_profiles_refused(tmp_path: Path, tsa: TimestampServer, make: Any) -> None:
    root = make_root_ca()
    with pytest.raises(c2pa.C2paError.Signature, match="certificate is invalid"):
        sign_jpeg(tmp_path, Chain(root=root, leaf=make(root)), tsa.url)


def test_lenient_profiles_accepted(tmp_path: Path, tsa: TimestampServer) -> None:
    # Observed leniency in c2pa-rs 0.91, pinned so an upgrade that tightens it shows up.
    self_signed = make_leaf(None)
    rep = Report(
        sign_jpeg(tmp_path, Chain(root=self_signed, leaf=self_signed), tsa.url, name="ss.jpg"),
        anchors(self_signed, tsa.root_pem),
    )
    assert (rep.state, rep.codes["failure"]) == ("Trusted", set())

    root = make_root_ca()
    no_ds = make_leaf(root, key_usage=KeyUsage(digital_signature=False, content_commitment=True))
    rep = Report(
        sign_jpeg(tmp_path, Chain(root=root, leaf=no_ds), tsa.url, name="nods.jpg"),
        anchors(root, tsa.root_pem),
    )
    assert (rep.state, rep.codes["failure"]) == ("Trusted", set())


def test_document_signing_eku_needs_trust_config(tmp_path: Path, tsa: TimestampServer) -> None:
    root = make_root_ca()
    chain = Chain(root=root, leaf=make_leaf(root, ekus=[EKU_DOCUMENT_SIGNING]))
    # verify_after_sign uses the default EKU list, which lacks documentSigning.
    with pytest.raises(c2pa.C2paError.Verify, match="missing required EKU"):
        sign_jpeg(tmp_path, chain, tsa.url)
    path = sign_jpeg(tmp_path, chain, tsa.url, context={"verify": {"verify_after_sign": False}})

    plain = Report(path, anchors(root, tsa.root_pem))
    assert plain.state == "Invalid"
    assert plain.credential_codes["failure"] == {
        "signingCredential.invalid",
        "signingCredential.untrusted",
    }
    cfg = anchors(root, tsa.root_pem)
    cfg["trust"]["trust_config"] = EKU_TRUST_CONFIG
    assert Report(path, cfg).state == "Trusted"
