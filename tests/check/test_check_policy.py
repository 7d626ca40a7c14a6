"""Policy loading, validation messages and rule evaluation (on typed reports), plus the
glob syntax; and the policy schema against the documented examples."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from jsonschema import Draft202012Validator

from provenance import CheckOptions, PolicyError, load_policy, run_check
from provenance.check._globs import match
from provenance.check._policy import Policy, Rules, evaluate, parse_duration
from provenance.keygen import make_dev_chain
from provenance.models import VerificationReport

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def report(**kw: Any) -> VerificationReport:
    """A report from the fields a rule looks at (in their JSON spelling)."""
    base: dict[str, Any] = {
        "path": "x.jpg",
        "verdict": "trusted",
        "message": "",
        "signer": {"subject": "CN=Desk Signer, O=Example News", "issuer": "CN=Root"},
        "timestamp": {"time": None, "source": "none", "trusted": False, "validated": False},
        "trust_anchors_supplied": True,
        "trust": None,
        "actions": [
            {
                "action": "c2pa.created",
                "digital_source_type": IPTC + "digitalCapture",
                "when": "2026-05-01T00:00:00+00:00",
            }
        ],
        "status_codes": [],
        "frames": None,
    }
    base.update(kw)
    base["failures"] = [
        {"code": c, "explanation": "", "url": "", "ingredient": False}
        for c in base.pop("status_codes")
    ]
    base["timestamp"] = {"time": None, "source": "none", "trusted": False, "validated": False,
                         **base["timestamp"]}  # fmt: skip
    if base["trust"]:
        base["trust"] = {"reason": "", **base["trust"]}
    if base["frames"]:
        segments = [{"start_time": 0, "end_time": 0, **s} for s in base["frames"]["segments"]]
        base["frames"] = {"signed_frame_count": 0, "checked_frame_count": 0,
                          **base["frames"], "segments": segments}  # fmt: skip
    return VerificationReport.from_dict(base)


def rules_of(r: list[Any]) -> list[str]:
    return [v.rule for v in r]


@pytest.mark.parametrize(
    ("path", "glob", "hit"),
    [
        ("photos/a.jpg", "photos/**", True),
        ("photos/x/y/a.jpg", "photos/**", True),
        ("ai/a.jpg", "photos/**", False),
        ("a.png", "*.png", True),
        ("deep/er/a.png", "*.png", True),
        ("ai/a.png", "ai/*.png", True),
        ("ai/b/a.png", "ai/*.png", False),
        ("ai/a.png", "ai/**/*.png", True),
        ("ai/b/c/a.png", "ai/**/*.png", True),
        ("ai/x.jpg", "ai/", True),
        ("img1.jpg", "img?.jpg", True),
        ("imgA.jpg", "img[0-9].jpg", False),
    ],
)
def test_globs(path: str, glob: str, hit: bool) -> None:
    assert match(path, glob) is hit


def test_durations() -> None:
    assert parse_duration("365d") == dt.timedelta(days=365)
    assert parse_duration("12h") == dt.timedelta(hours=12)
    assert parse_duration("2w") == dt.timedelta(weeks=2)
    with pytest.raises(ValueError):
        parse_duration("1y")


def test_unsigned_and_allow_unsigned() -> None:
    r = report(verdict="unsigned", signer=None, actions=[])
    assert rules_of(evaluate(Rules(), "a.jpg", r, trusted_possible=False)) == ["require-manifest"]
    allowed = Rules(allow_unsigned=("icons/**",))
    assert evaluate(allowed, "icons/a.png", r, trusted_possible=False) == []
    assert evaluate(Rules(require_manifest=False), "a.jpg", r, trusted_possible=False) == []
    declared = Rules(require_source_type_declared=True, allow_unsigned=("**",))
    assert rules_of(evaluate(declared, "ai/a.jpg", r, trusted_possible=False)) == [
        "source-type-undeclared"
    ]


def test_invalid_always_fails_with_its_codes() -> None:
    r = report(verdict="invalid", status_codes=["claimSignature.mismatch"])
    (v,) = evaluate(Rules(), "a.jpg", r, trusted_possible=True)
    assert v.rule == "invalid-manifest" and v.status_codes == ("claimSignature.mismatch",)


def test_tampered_can_be_allowed() -> None:
    r = report(verdict="tampered", status_codes=["assertion.dataHash.mismatch"])
    assert rules_of(evaluate(Rules(), "a.jpg", r, trusted_possible=False)) == ["tampered"]
    assert evaluate(Rules(forbid_tampered=False), "a.jpg", r, trusted_possible=False) == []


def test_trust_required_by_default_only_with_anchors() -> None:
    r = report(
        verdict="valid",
        status_codes=["signingCredential.untrusted"],
        trust={"decision": "untrusted", "reason": "chain does not reach an anchor"},
    )
    assert evaluate(Rules(), "a.jpg", r, trusted_possible=False) == []
    (v,) = evaluate(Rules(), "a.jpg", r, trusted_possible=True)
    assert v.rule == "untrusted-signer"
    assert "chain does not reach an anchor" in v.message
    assert v.status_codes == ("signingCredential.untrusted",)
    assert evaluate(Rules(require_trusted=False), "a.jpg", r, trusted_possible=True) == []


@pytest.mark.parametrize(
    ("entry", "ok"),
    [
        ("CN=Desk Signer, O=Example News", True),
        ("Desk Signer", True),
        ("*, O=Example News", True),
        ("Example News", False),
        ("CN=Other, O=Example News", False),
        ("sha256:" + "ab" * 32, True),
        ("AB:" * 31 + "AB", True),
        ("cd" * 32, False),
    ],
)
def test_allowed_signers(entry: str, ok: bool) -> None:
    r = report(trust={"decision": "trusted", "allowed_signer": "ab" * 32})
    got = evaluate(Rules(allowed_signers=(entry,)), "a.jpg", r, trusted_possible=True)
    assert rules_of(got) == ([] if ok else ["signer-not-allowed"])


def test_source_types() -> None:
    ai = report(
        actions=[
            {"action": "c2pa.created", "digital_source_type": IPTC + "trainedAlgorithmicMedia"}
        ]
    )
    forbid = Rules(forbidden_source_types=("trainedAlgorithmicMedia",))
    (v,) = evaluate(forbid, "a.jpg", ai, trusted_possible=False)
    assert v.rule == "source-type-forbidden" and "trainedAlgorithmicMedia" in v.message
    only_ai = Rules(allowed_source_types=("trainedAlgorithmicMedia",))
    assert evaluate(only_ai, "ai/a.jpg", ai, trusted_possible=False) == []
    assert rules_of(evaluate(only_ai, "ai/b.jpg", report(), trusted_possible=False)) == [
        "source-type-not-allowed"
    ]
    undeclared = report(actions=[{"action": "c2pa.edited"}])
    declared = Rules(require_source_type_declared=True)
    assert rules_of(evaluate(declared, "a.jpg", undeclared, trusted_possible=False)) == [
        "source-type-undeclared"
    ]


def test_timestamp_and_max_age_use_the_given_time() -> None:
    r = report()
    stamped = Rules(require_timestamp=True)
    assert rules_of(evaluate(stamped, "a", r, trusted_possible=False)) == ["timestamp-missing"]
    ok = report(timestamp={"time": "2026-05-30T00:00:00Z", "validated": True})
    assert evaluate(stamped, "a", ok, trusted_possible=False) == []
    # Signing time: the timestamp's, else the created action's `when`.
    young = Rules(max_age="7d")
    assert evaluate(young, "a", ok, trusted_possible=False, now=NOW) == []
    (v,) = evaluate(young, "a", r, trusted_possible=False, now=NOW)
    assert v.rule == "signature-too-old" and "2026-05-01" in v.message
    assert evaluate(Rules(max_age="60d"), "a", r, trusted_possible=False, now=NOW) == []
    timeless = report(actions=[])
    (v,) = evaluate(young, "a", timeless, trusted_possible=False, now=NOW)
    assert v.message == "no signing time to check max_age against"


def test_frames_rule_names_the_frame_ranges() -> None:
    frames = {
        "summary": {"intact": 50, "reencoded": 10, "edited": 5, "inserted": 0, "missing": 2},
        "segments": [
            {"status": "intact", "checked_range": [0, 49], "signed_range": [0, 49]},
            {"status": "reencoded", "checked_range": [50, 59], "signed_range": [50, 59]},
            {"status": "edited", "checked_range": [60, 64], "signed_range": [60, 64]},
            {"status": "missing", "checked_range": None, "signed_range": [65, 66]},
        ],
    }
    r = report(frames=frames)
    (v,) = evaluate(Rules(), "v.mp4", r, trusted_possible=False)
    assert v.rule == "frames-changed"
    assert "edited frames 60-64" in v.message and "(signed 65-66)" in v.message
    assert [f.status for f in v.frames] == ["edited", "missing"]
    (strict,) = evaluate(Rules(allow_reencoded=False), "v.mp4", r, trusted_possible=False)
    assert [f.status for f in strict.frames] == ["reencoded", "edited", "missing"]
    assert evaluate(Rules(frames=False), "v.mp4", r, trusted_possible=False) == []
    clean = {"summary": {"intact": 10, "reencoded": 3}, "segments": []}
    assert evaluate(Rules(), "v.mp4", report(frames=clean), trusted_possible=False) == []


def test_overrides_apply_in_order(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        "[rules]\nforbidden_source_types = ['trainedAlgorithmicMedia']\n"
        "[[overrides]]\npaths = ['ai/**']\nforbidden_source_types = []\n"
        "[[overrides]]\npaths = ['ai/strict/**']\nrequire_timestamp = true\n"
    )
    p = load_policy(f)
    assert p.rules_for("photos/a.jpg").forbidden_source_types == ("trainedAlgorithmicMedia",)
    assert p.rules_for("ai/a.jpg").forbidden_source_types == ()
    strict = p.rules_for("ai/strict/a.jpg")
    assert strict.forbidden_source_types == () and strict.require_timestamp
    assert not p.rules_for("ai/a.jpg").require_timestamp
    assert Policy().rules == Rules()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[rules]\nrequire_manifest = true\nfrobnicate = 1\n", ":3: rules.frobnicate: unknown key"),
        ("colour = 'red'\n", ":1: colour: unknown key"),
        ('[rules]\n\nmax_age = "soon"\n', ":3: rules.max_age: not a duration: 'soon'"),
        (
            '[[overrides]]\npaths = ["a/**"]\n\n[[overrides]]\npaths = ["b/**"]\n'
            'forbidden_source_types = ["aiStuff"]\n',
            ":6: overrides[1].forbidden_source_types: unknown digital source type 'aiStuff'",
        ),
        ("[[overrides]]\nrequire_timestamp = true\n", ":1: overrides[0]: needs paths"),
        ("[rules]\nrequire_trusted = true\n", ":2: rules.require_trusted: is true but"),
        ('[trust]\nanchors = ["missing.pem"]\n', ":2: trust.anchors: "),
        ('[trust]\nallowed_certificates = ["a.pem"]\n', ":2: trust.allowed_certificates: needs"),
        ("[rules\n", "not valid TOML"),
        ("[rules]\nforbid_tampered = 1\n", ":2: rules.forbid_tampered: must be true or false"),
        ("[rules]\nallow_unsigned = 'icons/**'\n", ":2: rules.allow_unsigned: must be a list"),
        ("version = 2\n", ":1: version: unsupported policy version 2"),
        (
            "[rules]\nallowed_signers = ['sha256:" + "ab" * 32 + "']\n",
            ":2: rules.allowed_signers: fingerprint sha256:abababababababab... matches no",
        ),
    ],
)
def test_bad_policy_messages(tmp_path: Path, text: str, expected: str) -> None:
    f = tmp_path / "provenance.toml"
    f.write_text(text)
    with pytest.raises(PolicyError) as e:
        load_policy(f)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(str(f))
    assert expected in msg
    assert e.value.exit_code == 2


def test_pyproject_errors_name_the_full_key(tmp_path: Path) -> None:
    f = tmp_path / "pyproject.toml"
    f.write_text('[project]\nname = "x"\n\n[tool.provenance.rules]\nrequire_manfest = true\n')
    with pytest.raises(PolicyError, match=r":5: tool\.provenance\.rules\.require_manfest: unknown"):
        load_policy(f)


def _toml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", markdown, flags=re.S)


@pytest.fixture(scope="module")
def doc_cert() -> tuple[str, str]:
    """A throwaway certificate (PEM, SHA-256) for loading the documented policies."""
    _, cert, _ = make_dev_chain(org="Doc Org", common_name="Doc Signer", alg="es256")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return pem, cert.fingerprint(hashes.SHA256()).hex()


def test_documented_policies_load_and_match_the_schema(
    tmp_path: Path, doc_cert: tuple[str, str]
) -> None:

    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    blocks = _toml_blocks((ROOT / "docs" / "check.md").read_text())
    assert blocks, "docs/check.md shows no policy"
    (tmp_path / "certs").mkdir()
    for name in ("newsroom-ca.pem", "agency-signer.pem", "staff-ca.pem"):
        (tmp_path / "certs" / name).write_text(doc_cert[0])
    for text in blocks:
        if "[tool.provenance" in text:
            continue
        text = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + doc_cert[1], text)
        validator.validate(tomllib.loads(text))
        f = tmp_path / "provenance.toml"
        f.write_text(text)
        load_policy(f)


def test_schema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    validator = Draft202012Validator(schema)
    for bad in (
        {"rules": {"frobnicate": 1}},
        {"overrides": [{"require_timestamp": True}]},
        {"rules": {"max_age": "soon"}},
        {"rules": {"forbidden_source_types": ["aiStuff"]}},
        {"trust": {"anchor": ["x.pem"]}},
    ):
        assert not validator.is_valid(bad), bad


def test_allow_listed_signer_by_fingerprint(repo: Path, check_media: Path) -> None:
    """[trust] allowed_certificates pins signers; allowed_signers can name them by
    certificate fingerprint per path."""
    signer_pem = (check_media / "ours" / "signer.pem").read_bytes()
    leaf = x509.load_pem_x509_certificates(signer_pem)[0]
    fp = leaf.fingerprint(hashes.SHA256()).hex()
    (repo / "certs" / "desk.pem").write_bytes(signer_pem)
    (repo / "provenance.toml").write_text(
        '[trust]\nanchors = ["certs/ca.pem"]\nallowed_certificates = ["certs/desk.pem"]\n'
        f'[[overrides]]\npaths = ["photos/**"]\nallowed_signers = ["sha256:{fp}"]\n'
        '[[overrides]]\npaths = ["ai/**"]\nallowed_signers = ["CN=Someone Else"]\n'
    )
    result = run_check(CheckOptions(paths=(repo,), jobs=1))
    got = {r.path: (r.status, [v.rule for v in r.violations]) for r in result.results}
    assert got["photos/signed.jpg"] == ("pass", [])
    assert got["ai/gen.jpg"] == ("fail", ["signer-not-allowed"])
    assert got["photos/untrusted.jpg"] == ("fail", ["untrusted-signer", "signer-not-allowed"])
    by_path = {r.path: r for r in result.results}
    assert by_path["photos/signed.jpg"].report.trust.allowed_signer == fp


# ------------------------------------------------------------ who made it, and how


def _who(status: str, name: str = "Jane Doe", sha: str = "ab" * 32) -> dict[str, Any]:
    return {
        "label": "cawg.identity", "sig_type": "cawg.x509.cose", "status": status,
        "explanation": "", "name": name, "certificate_sha256": sha,
        "failures": ["cawg.x509.signature.mismatch"] if status == "invalid" else [],
    }  # fmt: skip


def test_require_identity_needs_one_that_validates() -> None:
    rules = Rules(require_identity=True)
    for identities, ok in (
        ([], False),
        ([_who("unverified")], False),
        ([_who("valid")], True),
        ([_who("trusted")], True),
    ):
        r = report(identities=identities)
        got = rules_of(evaluate(rules, "a.jpg", r, trusted_possible=False))
        assert got == ([] if ok else ["identity-missing"]), identities
    # With identity anchors, only a trusted identity counts.
    valid = report(identities=[_who("valid")])
    (v,) = evaluate(rules, "a.jpg", valid, trusted_possible=False, identity_anchors=True)
    assert v.rule == "identity-missing" and "no creator identity trusted" in v.message
    # An unsigned file that may be unsigned needs no identity.
    unsigned = report(verdict="unsigned", signer=None, actions=[])
    assert evaluate(Rules(require_manifest=False, require_identity=True), "a.jpg", unsigned,
                    trusted_possible=False) == []  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "identity", "ok"),
    [
        ("Jane Doe", _who("valid"), True),
        ("John Roe", _who("valid"), False),
        ("Jane Doe", _who("unverified"), False),  # an unproven name proves nothing
        ("sha256:" + "AB:" * 31 + "AB", _who("valid"), True),
        ("sha256:" + "cd" * 32, _who("trusted"), False),
    ],
)
def test_allowed_identities_by_name_or_fingerprint(
    entry: str, identity: dict[str, Any], ok: bool
) -> None:
    r = report(identities=[identity])
    got = rules_of(evaluate(Rules(allowed_identities=(entry,)), "a.jpg", r, trusted_possible=False))
    assert got == ([] if ok else ["identity-not-allowed"])


def test_capture_time_and_location_rules() -> None:
    when = {"captured_at": "2024-05-01T14:34:56+02:00"}
    where = {"position": {"latitude": 48.85, "longitude": 2.29, "altitude": None}}
    rules = Rules(require_capture_time=True, forbid_location=True)

    def violations(**kw: Any) -> list[Any]:
        return evaluate(rules, "a.jpg", report(**kw), trusted_possible=False)

    assert violations(capture=when) == []
    (missing,) = violations(capture=None)
    assert (missing.rule, missing.message) == (
        "capture-time-missing", "the manifest records no capture time",
    )  # fmt: skip
    (redacted,) = violations(capture={"redacted": ["time"]})
    assert redacted.message == "the capture time was redacted"
    (gps,) = violations(capture={**when, **where})
    assert gps.rule == "location-published" and "manifest records a GPS position" in gps.message
    (exif,) = violations(capture=when, metadata_location=True)
    assert "file's own metadata" in exif.message
    # The file's own metadata publishes its location whether or not it is signed.
    unsigned = report(verdict="unsigned", signer=None, actions=[], metadata_location=True)
    got = evaluate(Rules(require_manifest=False, forbid_location=True), "a.jpg", unsigned,
                   trusted_possible=False)  # fmt: skip
    assert rules_of(got) == ["location-published"]


def test_identity_anchors_in_the_policy(tmp_path: Path) -> None:
    _, cert, root = make_dev_chain(org="Staff", common_name="Staff", alg="es256")
    (tmp_path / "staff-ca.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "provenance.toml").write_text(
        '[trust]\nidentity_anchors = ["staff-ca.pem"]\n[rules]\nrequire_identity = true\n'
    )
    policy = load_policy(tmp_path / "provenance.toml")
    assert policy.trust is not None and policy.trust.identity_anchors == (root,)
    assert not policy.trust.supplied  # they vouch for no signer
    assert policy.trust_hash != Policy().trust_hash
    r = report(identities=[_who("valid")], verdict="valid", trust_anchors_supplied=False)
    assert rules_of(policy.evaluate("a.jpg", r)) == ["identity-missing"]
    (tmp_path / "provenance.toml").write_text(
        '[trust]\nidentity_anchors = ["staff-ca.pem"]\n[rules]\nrequire_trusted = true\n'
    )
    with pytest.raises(PolicyError, match="require_trusted"):
        load_policy(tmp_path / "provenance.toml")
