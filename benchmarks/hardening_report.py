"""Hardening report: every attack case, the public conformance corpus, the c2pa-ts
interoperability check and a fuzz run, as one table and a few summary lines.

    .venv/bin/python benchmarks/hardening_report.py                  # ~1 minute
    .venv/bin/python benchmarks/hardening_report.py --fuzz-examples 100000

The attack builders, the per-file runner (a child process with a time limit per file) and
the fuzz harness are those of the test suite (tests/hardening/attacks.py); the conformance
expectations are tests/test_conformance.py's `expected_verdict`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "hardening"), str(ROOT / "tests")]

from attacks import (  # noqa: E402
    FUZZ_FORMATS,
    AttackCase,
    Outcome,
    VerifyServer,
    Workbench,
    build_all,
    fuzz_examples_from_env,
    fuzz_plan,
    iter_corpus,
    run_fuzz_batch,
)

INTEROP = ROOT / "interop" / "c2pa-ts"


def _run_all(items: list[tuple[str, Path, Path | None]], workers: int) -> dict[str, Outcome]:
    def run(share: list[tuple[str, Path, Path | None]]) -> dict[str, Outcome]:
        with VerifyServer() as server:
            return {name: server.verify(path, trust=trust) for name, path, trust in share}

    out: dict[str, Outcome] = {}
    with ThreadPoolExecutor(workers) as pool:
        for part in pool.map(run, [items[i::workers] for i in range(workers)]):
            out.update(part)
    return out


def attack_table(cases: list[AttackCase], workers: int) -> tuple[list[list[str]], int]:
    outcomes = _run_all([(c.name, c.path, c.trust) for c in cases], workers)
    rows, handled = [], 0
    for c in cases:
        o = outcomes[c.name]
        ok = o.verdict in c.expected and o.unchanged and set(c.codes) <= set(o.codes)
        handled += ok
        rows.append(
            [
                c.group,
                c.name,
                "/".join(sorted(c.expected)),
                o.verdict,
                str(o.exit_code),
                f"{o.seconds * 1000:.0f}",
                "yes" if o.unchanged else "NO",
                "ok" if ok else "FAIL",
            ]
        )
    return rows, handled


def conformance(workers: int) -> tuple[int, int, list[str]]:
    entries = list(iter_corpus())
    items: list[tuple[str, Path, Path | None]] = [(str(p), p, None) for p, _ in entries]
    outcomes = _run_all(items, workers)
    passed, misses = 0, []
    for path, expected in entries:
        got = outcomes[str(path)].verdict
        if got == expected.value:
            passed += 1
        else:
            misses.append(f"{path.relative_to(path.parents[1])}: {got} (expected {expected.value})")
    return passed, len(entries), misses


def interop(files: list[Path]) -> tuple[int, int, str]:
    if not (INTEROP / "node_modules").is_dir():
        return (
            0,
            0,
            "skipped: interop/c2pa-ts/node_modules missing (npm ci --prefix interop/c2pa-ts)",
        )
    node = shutil.which("node")
    if node is None:
        return 0, 0, "skipped: node not found"
    proc = subprocess.run(
        [node, str(INTEROP / "validate.mjs"), "--force-bmff", "--", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    accepted = 0
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for doc in lines:
        accepted += bool(doc.get("signature_valid") and doc.get("hash_valid"))
    return accepted, len(files), "" if len(lines) == len(files) else proc.stderr[-500:]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz-examples", type=int, default=fuzz_examples_from_env())
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hardening-") as tmp:
        work = Path(tmp)
        t0 = time.monotonic()
        wb = Workbench.create(work / "bench")
        cases = build_all(wb, work / "attacks")
        rows, handled = attack_table(cases, args.workers)
        header = ["group", "case", "expected", "outcome", "exit", "ms", "unchanged", "result"]
        if args.markdown:
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
            for r in rows:
                print("| " + " | ".join(r) + " |")
        else:
            print_table(header, rows)
        print()

        c_pass, c_total, misses = conformance(args.workers)
        for m in misses:
            print(f"conformance mismatch: {m}")

        ours = [c.path for c in cases if c.group == "control"]
        ours += [wb.signed(ext, 1) for ext in ("jpg", "png", "mp4")]
        ours += [c.path for c in cases if c.name.startswith(("bomb-signed", "many-frames"))]
        i_ok, i_total, i_note = interop(ours)

        plan = fuzz_plan(args.fuzz_examples) if args.fuzz_examples > 0 else []
        bases = {fmt: wb.fuzz_base(fmt) for fmt in FUZZ_FORMATS}
        with ThreadPoolExecutor(args.workers) as pool:
            fuzz = list(
                pool.map(
                    lambda b: run_fuzz_batch(
                        b[0], bases[b[0]], work / f"fuzz-{b[0]}-{b[1]}", examples=b[2], seed=b[1]
                    ),
                    plan,
                )
            )
        crashes = [r for r in fuzz if r.crashed]
        for f in crashes:
            print(f"fuzz failure: {f.fmt} seed {f.seed} exit {f.returncode}: {f.output[-400:]}")
            for s in f.saved:
                kept = ROOT / "benchmarks" / "fuzz-failures" / Path(s).name
                kept.parent.mkdir(exist_ok=True)
                shutil.copyfile(s, kept)
                print(f"  input kept: {kept}")
        verdicts: dict[str, int] = {}
        for f in fuzz:
            for v, n in f.verdicts.items():
                verdicts[v] = verdicts.get(v, 0) + n

        print(f"conformance cases passed: {c_pass} / {c_total}")
        if i_total:
            print(f"interop files accepted (c2pa-ts): {i_ok} / {i_total}")
        else:
            print(f"interop files accepted (c2pa-ts): {i_note}")
        print(f"attack cases handled: {handled} / {len(cases)}")
        print(
            f"fuzz inputs run: {sum(f.inputs for f in fuzz)} in {len(fuzz)} batches; "
            f"crashes found: {len(crashes)}; outcomes: "
            + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
        )
        print(f"total time: {time.monotonic() - t0:.0f} s")
        ok = handled == len(cases) and c_pass == c_total and not crashes
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
