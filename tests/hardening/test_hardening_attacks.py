"""Files made to fool the verifier: each gets the right verdict or a clean error, within a
time limit, and is byte-identical afterwards.

Every case is built in `attacks.py` with the verdicts accepted for it and the reason
(`AttackCase.expected`, `.why`), and checked here through the command line a user would run,
`verify_many` + `batch_exit_code`, in a child process with a 30 s limit per file (a hang or a
native crash becomes that file's outcome), and a sample of them also through the full command
line, `python -m provenance verify --json FILE`, one process per file.
The rules behind the expectations (`provenance.verify.decide`):

- The signature is intact but binds other content (a manifest transplanted from another
  file): `tampered`. The claim signature verifies, so nothing about the *manifest* is forged;
  the asset simply is not what it signed (dataHash/bmffHash mismatch). It is never `valid`.
- Anything that breaks the claim signature (flipped signature bytes, an edited claim, a
  swapped certificate, a claim re-signed with another key under the original certificate):
  `invalid`, with `claimSignature.mismatch`.
- A consistent signature by someone the trust anchors do not know (re-signed by an attacker
  with their own certificate): `valid` at most, never `trusted`.
- No manifest left (stripped; sidecar refused): `unsigned`.
- Structurally broken manifest stores (truncated, hostile length fields, random bytes):
  `invalid` when the reader rejects them; a few leave the signed bytes intact and still
  verify (`valid`, explained per case). Never a crash, hang or traceback.
- Not a regular file (device, FIFO, symlink to either): `error` (exit 2) at once.
"""

from __future__ import annotations

import pytest
from attacks import VERIFY_TIMEOUT, AttackCase, Outcome, case_names, verify_outcome

# One case of each kind through the real command line (the rest go through VerifyServer).
CLI_SAMPLE = [
    "control-signed.jpg",
    "transplant-unsigned-target.png",
    "stripped.mp4",
    "cert-swapped.jpg",
    "claim-xlbox-huge.png",
    "uuid-largesize-huge.mp4",
    "bomb-signed-zlib-12000x12000.png",
    "link-to-zero.jpg",
    "fifo.mp4",
    "sidecar-symlink-outside.jpg",
    "many-frames-5000.mp4",
]


def test_every_case_is_built(attack_cases: dict[str, AttackCase]) -> None:
    assert sorted(attack_cases) == sorted(case_names())


@pytest.mark.parametrize("name", case_names())
def test_attack(
    name: str, attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    case, out = attack_cases[name], attack_outcomes[name]
    assert out.verdict not in ("timeout", "crash", "traceback"), f"{name}: {out.message}"
    assert out.verdict in case.expected, (
        f"{name}: got {out.verdict} ({out.message}; {list(out.codes)}), expected one of "
        f"{sorted(case.expected)} because {case.why}"
    )
    assert set(case.codes) <= set(out.codes), (name, out.codes)
    assert out.seconds < VERIFY_TIMEOUT
    assert out.unchanged, f"{name}: verification changed the file"
    # Exit codes follow the verdict: 0 only for a pass, 2 only for 'error'.
    if out.verdict == "error":
        assert out.exit_code == 2 and out.message and "\n" not in out.message
    elif case.trust is not None:
        assert out.exit_code == (0 if out.verdict == "trusted" else 1)
    else:
        assert out.exit_code == (0 if out.verdict == "valid" else 1)


@pytest.mark.parametrize("ext", ["jpg", "png", "mp4"])
def test_nothing_forged_is_trusted(
    ext: str, attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    """With Alice's root as the only anchor, only her untouched file is trusted."""
    trusted = sorted(
        n
        for n, c in attack_cases.items()
        if c.trust is not None and n.endswith(ext) and attack_outcomes[n].verdict == "trusted"
    )
    assert trusted == [f"control-signed.{ext}"]


def test_special_files_refused_quickly(
    attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    """Devices and FIFOs are refused from stat alone: no reading, so well under a second's
    work beyond interpreter start-up (generous bound for loaded CI machines)."""
    for name, case in attack_cases.items():
        if case.group == "special-file":
            out = attack_outcomes[name]
            assert out.verdict == "error" and "not a regular file" in out.message, name
            assert out.seconds < 10, name


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_attack_through_cli(
    name: str, attack_cases: dict[str, AttackCase], attack_outcomes: dict[str, Outcome]
) -> None:
    """`python -m provenance verify --json FILE`: same verdict and exit code, no traceback."""
    case = attack_cases[name]
    out = verify_outcome(case.path, trust=case.trust)
    assert out.verdict in case.expected, (name, out)
    assert out.verdict == attack_outcomes[name].verdict
    assert out.exit_code == attack_outcomes[name].exit_code
    assert out.seconds < VERIFY_TIMEOUT and out.unchanged
