"""A real RFC 3161 Time-Stamp Authority served on 127.0.0.1 for offline tests.

ASN.1 comes from ``asn1crypto``; signatures from ``cryptography``. The token is a CMS
SignedData over a TSTInfo with the signed attributes c2pa-rs checks (contentType,
messageDigest, signingCertificateV2 per RFC 5035/5816, optional signingTime).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from asn1crypto import algos, cms, core, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .certs import Issued, make_root_ca, make_tsa_leaf, utcnow

TSQ_CONTENT_TYPE = "application/timestamp-query"
TSR_CONTENT_TYPE = "application/timestamp-reply"
DEFAULT_POLICY_OID = "1.3.6.1.4.1.55555.1.1"  # arbitrary private-arc test policy

# Hashes we accept in a messageImprint, with their digest sizes (a wrong size is malformed).
_IMPRINT_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


@dataclass(frozen=True)
class ServedRequest:
    """What the server saw and answered, for assertions."""

    hash_algorithm: str | None
    message_imprint: bytes | None
    nonce: int | None
    cert_req: bool
    status: str  # "granted" | "rejection"
    fail_info: str | None
    gen_time: dt.datetime | None


class TimeStampResp(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """RFC 3161 TimeStampResp; asn1crypto's own omits the OPTIONAL on timeStampToken,
    so it cannot encode a rejection."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _RejectError(Exception):
    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


class TimestampServer:
    """RFC 3161 TSA over HTTP on an ephemeral 127.0.0.1 port.

    ``tsa`` is the TSA end-entity cert (with its issuers); by default a fresh root and a
    TSA leaf (critical EKU timeStamping) are made. ``now`` supplies genTime so tests can
    fake time. ``reject_all`` answers every request with status rejection (TSA "down").
    ``tamper_imprint`` flips a byte of the echoed imprint to provoke mismatch handling.
    """

    def __init__(
        self,
        tsa: Issued | None = None,
        *,
        now: Callable[[], dt.datetime] = utcnow,
        policy_oid: str = DEFAULT_POLICY_OID,
        accuracy_seconds: int | None = 1,
        include_signing_time: bool = True,
        include_tsa_name: bool = True,
        reject_all: bool = False,
        tamper_imprint: bool = False,
    ) -> None:
        self.tsa = tsa or make_tsa_leaf(make_root_ca("Test TSA Root CA"))
        self.now = now
        self.policy_oid = policy_oid
        self.accuracy_seconds = accuracy_seconds
        self.include_signing_time = include_signing_time
        self.include_tsa_name = include_tsa_name
        self.reject_all = reject_all
        self.tamper_imprint = tamper_imprint
        self.served: list[ServedRequest] = []
        self.errors: list[Exception] = []
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> TimestampServer:
        if self._httpd is not None:
            raise RuntimeError("TimestampServer already started")
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        httpd.daemon_threads = True  # a stuck client must never hang interpreter exit
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()  # returns once serve_forever has exited
        self._httpd.server_close()  # releases the listening socket
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> TimestampServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- properties ------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("TimestampServer not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/tsa"

    @property
    def chain_pem(self) -> str:
        """TSA cert then its intermediates (no root)."""
        return self.tsa.chain_pem.decode()

    @property
    def root_pem(self) -> str:
        return self.tsa.root.pem.decode()

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.served)

    @property
    def granted_count(self) -> int:
        with self._lock:
            return sum(1 for s in self.served if s.status == "granted")

    # -- protocol --------------------------------------------------------------------

    def respond(self, body: bytes) -> bytes:
        """Turn a DER TimeStampReq into a DER TimeStampResp (never raises on bad input)."""
        req: tsp.TimeStampReq | None = None
        try:
            req = _parse_request(body)
            if self.reject_all:
                raise _RejectError("system_failure", "TSA configured to reject")
            gen_time = self.now()
            try:
                token = self._make_token(req, gen_time)
            except Exception as err:  # our own bug: answer systemFailure, keep it for asserts
                self.errors.append(err)
                raise _RejectError("system_failure", f"token build failed: {err}") from err
            resp = TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
            self._record(req, "granted", None, gen_time)
        except _RejectError as rej:
            resp = TimeStampResp(
                {
                    "status": {
                        "status": "rejection",
                        "status_string": [rej.text],
                        "fail_info": tsp.PKIFailureInfo({rej.fail_info}),
                    }
                }
            )
            self._record(req, "rejection", rej.fail_info, None)
        return bytes(resp.dump())

    def _record(
        self,
        req: tsp.TimeStampReq | None,
        status: str,
        fail_info: str | None,
        gen_time: dt.datetime | None,
    ) -> None:
        alg = imprint = nonce = None
        cert_req = False
        if req is not None:
            alg = req["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint = req["message_imprint"]["hashed_message"].native
            nonce = req["nonce"].native
            cert_req = bool(req["cert_req"].native)
        with self._lock:
            self.served.append(
                ServedRequest(alg, imprint, nonce, cert_req, status, fail_info, gen_time)
            )

    def _make_token(self, req: tsp.TimeStampReq, gen_time: dt.datetime) -> cms.ContentInfo:
        if gen_time.tzinfo is None:
            raise ValueError("now() must return an aware datetime")
        with self._lock:
            serial = next(self._serials)
        imprint = dict(req["message_imprint"].native)
        if self.tamper_imprint:
            digest = bytearray(imprint["hashed_message"])
            digest[0] ^= 0xFF
            imprint["hashed_message"] = bytes(digest)

        tst: dict[str, object] = {
            "version": "v1",
            "policy": self.policy_oid,
            "message_imprint": imprint,
            "serial_number": serial,
            "gen_time": gen_time.astimezone(dt.UTC),
        }
        if self.accuracy_seconds is not None:
            tst["accuracy"] = {"seconds": self.accuracy_seconds}
        if req["nonce"].native is not None:
            tst["nonce"] = req["nonce"].native  # echoed so the client can detect replays
        if self.include_tsa_name:
            tst["tsa"] = x509.GeneralName(
                "directory_name", x509.Name.load(self.tsa.cert.subject.public_bytes())
            )
        tst_info = tsp.TSTInfo(tst)
        econtent = tst_info.dump()

        tsa_cert_der = self.tsa.cert.public_bytes(serialization.Encoding.DER)
        tsa_cert = x509.Certificate.load(tsa_cert_der)
        digest_name, hash_alg = _digest_for(self.tsa.key)

        attrs = [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
        ]
        if self.include_signing_time:
            attrs.append(
                cms.CMSAttribute(
                    {"type": "signing_time", "values": [cms.Time(name="utc_time", value=gen_time)]}
                )
            )
        attrs.append(
            cms.CMSAttribute(
                {
                    "type": "message_digest",
                    "values": [hashlib.new(digest_name, econtent).digest()],
                }
            )
        )
        # ESSCertIDv2 binds the signer cert into the signature (RFC 5035); sha256 is the
        # DER default so asn1crypto omits the hashAlgorithm field, as the RFC requires.
        attrs.append(
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(tsa_cert_der).digest(),
                                    "issuer_serial": {
                                        "issuer": [
                                            x509.GeneralName("directory_name", tsa_cert.issuer)
                                        ],
                                        "serial_number": tsa_cert.serial_number,
                                    },
                                }
                            ]
                        }
                    ],
                }
            )
        )
        signed_attrs = cms.CMSAttributes(attrs)
        # The signature covers the DER SET OF encoding of the attributes (RFC 5652 5.4).
        signature = _sign(self.tsa.key, signed_attrs.dump(), hash_alg)

        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    "issuer_and_serial_number",
                    {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number},
                ),
                "digest_algorithm": {"algorithm": digest_name},
                "signed_attrs": signed_attrs,
                "signature_algorithm": _signature_algorithm(self.tsa.key, digest_name),
                "signature": signature,
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [{"algorithm": digest_name}],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(econtent),
            },
            "signer_infos": [signer_info],
        }
        if req["cert_req"].native:
            signed_data["certificates"] = [
                x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                for c in self.tsa.chain
            ]
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


def _parse_request(body: bytes) -> tsp.TimeStampReq:
    try:
        req = tsp.TimeStampReq.load(body, strict=True)
        version = req["version"].native
        alg = req["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = req["message_imprint"]["hashed_message"].native
        _ = req["nonce"].native, req["cert_req"].native, req["req_policy"].native
    except (ValueError, TypeError, KeyError) as err:
        raise _RejectError("bad_data_format", f"malformed TimeStampReq: {err}") from err
    if version != "v1":
        raise _RejectError("bad_request", f"unsupported version {version}")
    if alg not in _IMPRINT_SIZES:
        raise _RejectError("bad_alg", f"unsupported hash algorithm {alg}")
    if len(digest) != _IMPRINT_SIZES[alg]:
        raise _RejectError("bad_data_format", "imprint length does not match its algorithm")
    if req["extensions"].native:
        raise _RejectError("unaccepted_extensions", "no request extensions are supported")
    return req


def _digest_for(key: object) -> tuple[str, hashes.HashAlgorithm]:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return "sha384", hashes.SHA384()
    return "sha256", hashes.SHA256()


def _sign(key: object, data: bytes, hash_alg: hashes.HashAlgorithm) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hash_alg))
    if isinstance(key, rsa.RSAPrivateKey):
        # PKCS#1 v1.5 is what deployed TSAs use and what every verifier accepts.
        return key.sign(data, padding.PKCS1v15(), hash_alg)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise TypeError(f"unsupported TSA key {type(key).__name__}")


def _signature_algorithm(key: object, digest_name: str) -> algos.SignedDigestAlgorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        name = f"{digest_name}_ecdsa"
    elif isinstance(key, rsa.RSAPrivateKey):
        name = f"{digest_name}_rsa"
    else:
        name = "ed25519"
    return algos.SignedDigestAlgorithm({"algorithm": name})


def _make_handler(server: TimestampServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if ctype != TSQ_CONTENT_TYPE:
                self._reply(415, "text/plain", b"expected application/timestamp-query\n")
                return
            self._reply(200, TSR_CONTENT_TYPE, server.respond(body))

        def do_GET(self) -> None:
            self._reply(405, "text/plain", b"RFC 3161 TSA: POST a TimeStampReq\n")

        def _reply(self, code: int, ctype: str, payload: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            # One request per connection: a kept-alive connection would outlive stop()
            # and keep answering from a "stopped" server.
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler
