"""Fuzzing `provenance.verify` with Hypothesis over mutated signed JPEG, PNG and MP4 files
and a sidecar manifest store (mutated beside its untouched JPEG).

Mutations (1-4 per input): bit flips, byte sets, insertions, deletions, truncations, splices
of the file into itself and extreme length fields; 80 % land inside the manifest store and
some hit JUMBF box headers directly. Each input must give a report or a `ProvenanceError`,
never another exception, within the per-input deadline, and leave the file unchanged.

Batches run in child processes (`attacks.py fuzz ...`): a crash in native code (c2pa-rs)
kills the child and fails the test with the input saved; a hang hits the batch time limit
and fails likewise. The CI run is seeded (reproducible) and small;
`PROVENANCE_FUZZ_EXAMPLES=100000 pytest tests/hardening/test_hardening_fuzz.py` runs longer
(see docs/hardening.md).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from attacks import (
    FuzzResult,
    Workbench,
    fuzz_examples_from_env,
    fuzz_plan,
    manifest_region,
    run_fuzz_batch,
)


def _describe(r: FuzzResult) -> str:
    how = "hung (batch timed out)" if r.returncode is None else f"exit {r.returncode}"
    if r.returncode is not None and r.returncode < 0:
        how = f"killed by signal {-r.returncode} (native crash)"
    saved = "\n".join(r.saved) or "(none)"
    return f"{r.fmt} seed {r.seed}: {how}\ninputs saved:\n{saved}\n{r.output}"


@pytest.mark.slow
def test_fuzz_verify(workbench: Workbench, tmp_path: Path) -> None:
    plan = fuzz_plan(fuzz_examples_from_env())
    bases = {fmt: workbench.fuzz_base(fmt) for fmt in {fmt for fmt, _, _ in plan}}
    for base in bases.values():
        manifest_region(base.read_bytes())  # the bias needs a manifest to aim at

    def run(batch: tuple[str, int, int]) -> FuzzResult:
        fmt, seed, n = batch
        return run_fuzz_batch(fmt, bases[fmt], tmp_path / f"{fmt}-{seed}", examples=n, seed=seed)

    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        results = list(pool.map(run, plan))
    failures = [_describe(r) for r in results if r.crashed]
    assert not failures, "\n\n".join(failures)
    total = sum(r.inputs for r in results)
    assert total >= sum(n for _, _, n in plan) * 0.9, "fewer inputs ran than planned"
    # The mutations must reach past the happy path: some inputs are rejected.
    verdicts = {v for r in results for v in r.verdicts}
    assert "invalid" in verdicts, verdicts


def test_fuzz_harness_catches_crash_and_exception(workbench: Workbench, tmp_path: Path) -> None:
    """A native crash (here: abort()) and a stray exception both fail the batch."""
    base = workbench.signed("jpg")
    crash = run_fuzz_batch(
        "jpg",
        base,
        tmp_path / "crash",
        examples=20,
        seed=1,
        env={"PROVENANCE_FUZZ_SELFTEST": "crash"},
    )
    assert crash.crashed and crash.returncode is not None and crash.returncode < 0
    assert any("last-jpg-1-input" in s for s in crash.saved), crash.saved
    raised = run_fuzz_batch(
        "jpg",
        base,
        tmp_path / "raise",
        examples=20,
        seed=1,
        env={"PROVENANCE_FUZZ_SELFTEST": "raise"},
    )
    assert raised.crashed and raised.returncode == 1
    assert "KeyError" in raised.output
    assert any("failure-" in s for s in raised.saved), raised.saved
