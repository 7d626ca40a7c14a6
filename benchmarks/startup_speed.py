"""Command-line start-up time (issue 16: `provenance --help` <= 0.25 s).

Times, side by side in rounds taken round-robin, each command as a fresh process (wall
time of the whole process, as a user waits for it):

* the floors: `python -c pass` (the interpreter and site start-up of this environment)
  and `python -c "import c2pa"` (the C2PA library alone);
* `python -c "import provenance.cli"`, `provenance --help`, and each command's own help
  (which loads that command's module and what it uses, and no other command's).

Prints the median of each and its ratio to the floors (medians of the rounds' ratios),
and which heavy modules each one loaded.

Run:  .venv/bin/python benchmarks/startup_speed.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("provenance"))
HEAVY = ("c2pa", "cryptography", "PIL", "numpy", "av", "rich", "pydantic")
TARGET = 0.25

ROWS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -c 'import c2pa'": [PYTHON, "-c", "import c2pa"],
    "python -c 'import provenance.cli'": [PYTHON, "-c", "import provenance.cli"],
    "provenance --help": [CLI, "--help"],
    **{
        f"provenance {c} --help": [CLI, c, "--help"]
        for c in ("sign", "verify", "check", "history", "keygen")
    },
}


def loaded(args: list[str]) -> list[str]:
    """The heavy top-level packages a command loads (run once, in-process, through the
    CLI's `main`)."""
    script = (
        "import sys\n"
        f"sys.argv = {['provenance', *args]!r}\n"
        "try:\n"
        "    from provenance.cli import main\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('MODULES', sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("MODULES ")), "MODULES []")
    found: list[str] = json.loads(line.removeprefix("MODULES ").replace("'", '"'))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in ROWS}
    for cmd in ROWS.values():  # warm the page cache
        subprocess.run(cmd, capture_output=True, check=True)
    for _ in range(args.rounds):
        for name, cmd in ROWS.items():
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t)

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))

    base, c2pa = "python -c pass", "python -c 'import c2pa'"
    print(f"{args.rounds} rounds, wall time of each process (median; min)")
    print(f"  {'':36s}{'median s':>9s}{'min s':>8s}{'x pass':>8s}{'x c2pa':>8s}  loads")
    for name, cmd in ROWS.items():
        heavy = ", ".join(loaded(cmd[1:])) if cmd[0] == CLI else ""
        print(
            f"  {name:36s}{statistics.median(times[name]):9.3f}{min(times[name]):8.3f}"
            f"{ratio(name, base):8.2f}{ratio(name, c2pa):8.2f}  {heavy}"
        )
    help_s = statistics.median(times["provenance --help"])
    verdict = "meets" if help_s <= TARGET else "misses"
    print(f"provenance --help: {help_s:.3f} s, {verdict} the target of {TARGET} s;"
          f" beyond the interpreter's own start-up: "
          f"{help_s - statistics.median(times[base]):.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
