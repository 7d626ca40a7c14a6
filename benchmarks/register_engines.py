"""`provenance register` at archive scale: registrations per second into a PostgreSQL
registry, all or nothing in one process (the baseline) against `register_each` on the
local process pool (2 workers) and on a local Ray instance (2 CPUs), side by side.

The corpus is N distinct signed photos (320x240 PNG, signed as `sign` signs them, with
our soft binding); every round registers it into a fresh database of a throwaway
PostgreSQL cluster (or the server --postgres names), rounds interleaved, medians printed.
Ray's start-up (`ray.init`) is timed apart, once.

    python benchmarks/register_engines.py [--files 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.postgres import Cluster, find_bindir  # noqa: E402

from provenance import register, register_each, sign  # noqa: E402
from provenance._demo_media import make_photo  # noqa: E402
from provenance._engine import Engine  # noqa: E402
from provenance.keygen import generate_dev_identity  # noqa: E402


def corpus(root: Path, n: int) -> list[Path]:
    identity = generate_dev_identity(root / "keys").load()
    files = []
    for i in range(n):
        src = make_photo(root / f"p{i}.png", size=(320, 240), seed=i)
        files.append(Path(sign(src, root / f"p{i}.s.png", identity=identity,
                               source_type="digitalCapture").output))  # fmt: skip
        src.unlink()
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=None, help="a postgresql:// server (else a throwaway)")
    args = ap.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        cluster = None
        if args.postgres is None:
            bindir = find_bindir()
            if bindir is None:
                sys.exit("PostgreSQL not found (apt-get install postgresql)")
            cluster = Cluster(bindir)
            cluster.start()
        try:
            t = time.perf_counter()
            files = corpus(Path(tmp), args.files)
            print(f"corpus: {len(files)} signed photos in {time.perf_counter() - t:.0f} s")

            def fresh() -> str:
                if cluster is not None:
                    return cluster.create_database(f"b_{uuid.uuid4().hex}")
                return str(args.postgres)

            def each(engine: Engine) -> Callable[[str], int]:
                return lambda url: sum(
                    1 for _ in register_each(files, registry=url, engine=engine, jobs=2)
                )

            runs: dict[str, Callable[[str], int]] = {
                "all or nothing, 1 process (baseline)": lambda url: len(
                    register(files, registry=url)
                ),
                "--engine local --jobs 2": each(Engine.LOCAL),
                "--engine ray (2 CPUs)": each(Engine.RAY),
            }
            t = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            print(f"ray.init: {time.perf_counter() - t:.1f} s (not counted below)")
            each(Engine.RAY)(fresh())  # warm the workers once
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.repeat):
                for name, run in runs.items():
                    url = fresh()
                    t = time.perf_counter()
                    assert run(url) == len(files)
                    times[name].append(time.perf_counter() - t)
            ray.shutdown()
        finally:
            if cluster is not None:
                cluster.stop()
    base = statistics.median(times[next(iter(runs))])
    print(f"{len(files)} files, median of {args.repeat} (PostgreSQL, fresh database each):")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:38s} {m:6.2f} s  {len(files) / m:6.0f} files/s  x{base / m:.2f}")


if __name__ == "__main__":
    main()
