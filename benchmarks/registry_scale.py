"""Registry scale: index size, registration throughput and lookup latency at 10k, 100k and
1M videos, on SQLite and PostgreSQL (prints figures; not a test).

The index is filled with synthetic fingerprint tables (the accuracy of real decoded clips is
benchmarks/registry_accuracy.py): videos of 60 s on average (uniform 30-90 s), one value
per second, bits balanced (as measured on real clips: every key bit is set in 40-58% of
blocks) and consecutive seconds differing in each bit with probability 0.3 (real clips:
22 of 64 bits on average). Registration goes through `Registry.register` in batches of
`--batch` videos, as a fleet of workers would. With `--bulk`, all but the last `--sample`
videos of each scale are written by `bulk_fill` instead: the same rows (checked against
`Registration.row()` and `.postings()` on a sample), in large transactions, the postings
in key order (SQLite) or by binary COPY with their indexes and foreign key rebuilt after
the load (PostgreSQL), then ANALYZE. Both throughputs are printed: `register` (the real
path, measured on the sample at that index size) and `bulk`. The bulk path stays here:
it drops and rebuilds indexes, which no live registry shared with concurrent writers can
afford, and a user registering an archive spends far more per file validating its
manifest than writing its rows (`register` already writes a batch in one transaction).

Lookups are `Registry.search` on precomputed queries (decode excluded), one stretch of 4 s
as `lookup_file` sends it: 31 one-second windows at 100 ms phases,
- "found": a stretch of a registered video, each window the nearest signed value with
  bit errors as a re-encode makes them (3% of bits, more the further the window is from
  the signed second, most of them among the window's least certain bits);
- "absent": windows of a video that is not registered (what an unrelated file costs, and
  the second round with the 27 crop hypotheses that such a file always runs);
- "cropped": the crop round of a copy the first round missed: one of the 26 crop
  hypotheses shows the registered video, with a re-encode's errors, the others another
  picture (its recall is the "crop recall" column). On the real cropped copies of
  benchmarks/registry_accuracy.py, the window nearest a signed block under the best
  hypothesis is 0-5 bits of 64 off (median 2), and its key exact, in 18 of 19 clips.
`--compare` measures the lookup before a change (`BEFORE`: `match` settings as they were)
beside the current one, both on each query in turn, on the same index and under the same
load; "false" counts absent queries that matched anything.
Baseline, measured side by side: a brute-force scan of every signed value (NumPy XOR and
popcount over the whole table, in memory), which grows linearly with the index. Beside
the wall-clock latencies, the CPU time of each lookup (the benchmark's thread, plus the
PostgreSQL backend's) and the load average while they ran: on a shared machine the
wall-clock tail is mostly other processes' share of the cores.

PostgreSQL runs in a throwaway cluster started for the run (Debian's initdb/pg_ctl, as an
unprivileged user when run as root) unless --postgres URL names a server.

`--reuse` measures the lookups again on the database a previous run left (the SQLite file
in --workdir, or the --postgres database) when it holds the largest scale already.

Run:  .venv/bin/python benchmarks/registry_scale.py --scales 10000,100000        (~35 min)
      .venv/bin/python benchmarks/registry_scale.py --scales 10000,100000,1000000 --bulk
          (~25-35 min per backend here; 2.3 GB of SQLite, ~11 GB of PostgreSQL with its WAL)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from provenance._registry import match  # noqa: E402
from provenance._registry.fingerprint import (  # noqa: E402
    BLOCK_MS,
    COARSE,
    KEY_BITS,
    SIZE,  # noqa: E402
    Block,
    BlockValue,
)
from provenance._registry.lookup import VIDEO_ROUNDS  # noqa: E402
from provenance._registry.match import _KEY_MASK, _ROW  # noqa: E402
from provenance._registry.postgres import PostgresRegistry  # noqa: E402
from provenance._registry.query import PHASE_MS, WEAK_BITS, Probe, Query  # noqa: E402
from provenance._registry.softbinding import ALG, SoftBinding  # noqa: E402
from provenance._registry.store import Registration, SqlRegistry  # noqa: E402

FLIP_NEXT = 0.3  # per-bit change from one second to the next
QUERY_MS = 4000
_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def synthetic_cores(rng: np.random.Generator, seconds: int) -> np.ndarray:
    first = rng.integers(0, 2, 64, dtype=np.uint8)
    flips = (rng.random((seconds - 1, 64)) < FLIP_NEXT).astype(np.uint8)
    bits = np.vstack([first, flips]).cumsum(axis=0) % 2
    return (bits.astype(np.uint64) * _BITS).sum(axis=1, dtype=np.uint64)


def registration(index: int, cores: np.ndarray, rng: np.random.Generator) -> Registration:
    blocks = tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS, BlockValue(int(c), 0, (0, 0, 128, 128)))
        for k, c in enumerate(cores)
    )
    return Registration(
        manifest_id=f"urn:c2pa:{index:012d}-0000-4000-8000-bench",
        store=b"synthetic manifest store %d" % index,
        binding=SoftBinding(blocks),
        format="video/mp4",
        title=f"synthetic {index}",
    )


def bulk_rows(index: int, cores: np.ndarray) -> dict[str, Any]:
    """`registration(index, cores).row()`, without building a block per second."""
    rows = np.zeros(len(cores), dtype=_ROW)
    rows["start"] = np.arange(len(cores)) * BLOCK_MS
    rows["length"] = BLOCK_MS
    rows["core"] = cores
    store = b"synthetic manifest store %d" % index
    return {
        "manifest_id": f"urn:c2pa:{index:012d}-0000-4000-8000-bench",
        "store_sha256": hashlib.sha256(store).digest(),
        "alg": ALG,
        "kind": "video",
        "format": "video/mp4",
        "title": f"synthetic {index}",
        "signer": None,
        "issuer": None,
        "signed_at": None,
        "duration_ms": len(cores) * BLOCK_MS,
        "blocks": bytes((0, 0, SIZE, SIZE)) + rows.tobytes(),
        "_store": store,
    }


def bulk_fill(reg: SqlRegistry, first: int, videos: list[np.ndarray]) -> None:
    """Write the rows `reg.register` would write for these synthetic videos, in bulk: one
    transaction per 20,000 manifests, the postings in key order (SQLite) or by COPY into
    the table with its indexes and foreign key dropped and then rebuilt (PostgreSQL),
    statistics refreshed at the end. A sample of videos is checked against the rows the
    real path builds."""
    from provenance._registry.postgres import PostgresRegistry

    rng = np.random.default_rng(first)
    for i in rng.integers(0, len(videos), 3):
        real = registration(first + int(i), videos[i], rng)
        row = bulk_rows(first + int(i), videos[i])
        assert row.pop("_store") == real.store and row == real.row(), "bulk rows differ"
        keys = [(int(c) & _KEY_MASK, s, int(c) >> KEY_BITS) for s, c in enumerate(videos[i])]
        assert sorted(keys) == real.postings(), "bulk postings differ"
    if isinstance(reg, PostgresRegistry):
        _bulk_postgres(reg, first, videos)
    else:
        _bulk_sqlite(reg, first, videos)


def _postings(pks: np.ndarray, videos: list[np.ndarray]) -> np.ndarray:
    lengths = np.array([len(v) for v in videos])
    out = np.empty(int(lengths.sum()), dtype=[("key", "<i8"), ("manifest", "<i8"),
                                              ("second", "<i8"), ("rest", "<i8")])  # fmt: skip
    cores = np.concatenate(videos)
    out["key"] = (cores & np.uint64(_KEY_MASK)).astype(np.int64)
    out["rest"] = (cores >> np.uint64(KEY_BITS)).astype(np.int64)
    out["manifest"] = np.repeat(pks, lengths)
    out["second"] = np.arange(out.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return out


def _bulk_sqlite(reg: SqlRegistry, first: int, videos: list[np.ndarray]) -> None:
    conn = reg._conn()  # type: ignore[attr-defined]
    base = int(conn.execute("SELECT coalesce(max(id), 0) FROM manifests").fetchone()[0]) + 1
    pks = np.arange(base, base + len(videos), dtype=np.int64)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    cols = list(bulk_rows(0, videos[0]))[:-1]
    for lo in range(0, len(videos), 20_000):
        rows = [bulk_rows(first + i, videos[i]) for i in range(lo, min(lo + 20_000, len(videos)))]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO manifests (id, {', '.join(cols)}, registered_at) "
            f"VALUES ({', '.join('?' for _ in range(len(cols) + 2))})",
            [(int(pks[lo + j]), *(r[c] for c in cols), now) for j, r in enumerate(rows)],
        )
        conn.executemany(
            "INSERT INTO manifest_stores (manifest, data) VALUES (?, ?)",
            [(int(pks[lo + j]), r["_store"]) for j, r in enumerate(rows)],
        )
        conn.execute("COMMIT")
    post = _postings(pks, videos)
    post = post[np.lexsort((post["second"], post["manifest"], post["key"]))]
    step = 5_000_000
    for lo in range(0, post.size, step):
        chunk = post[lo : lo + step]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO postings (key, manifest, second, rest) VALUES (?, ?, ?, ?)",
            zip(chunk["key"].tolist(), chunk["manifest"].tolist(), chunk["second"].tolist(),
                chunk["rest"].tolist(), strict=True),
        )  # fmt: skip
        conn.execute("COMMIT")
        print(f"    postings {lo + chunk.size}/{post.size}", file=sys.stderr, flush=True)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _bulk_postgres(reg: SqlRegistry, first: int, videos: list[np.ndarray]) -> None:
    conn = reg._conn()  # type: ignore[attr-defined]
    cols = list(bulk_rows(0, videos[0]))[:-1]
    with conn.transaction():
        base = int(conn.execute("SELECT coalesce(max(id), 0) FROM manifests").fetchone()[0])
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY manifests ({', '.join(cols)}) FROM STDIN") as copy,
        ):
            for i, v in enumerate(videos):
                r = bulk_rows(first + i, v)
                copy.write_row([r[c] for c in cols])
        ids = dict(conn.execute(
            "SELECT manifest_id, id FROM manifests WHERE id > %s", (base,)).fetchall())  # fmt: skip
        pks = np.array(
            [ids[f"urn:c2pa:{first + i:012d}-0000-4000-8000-bench"] for i in range(len(videos))],
            dtype=np.int64,
        )
        with (
            conn.cursor() as cur,
            cur.copy("COPY manifest_stores (manifest, data) FROM STDIN") as copy,
        ):
            for i, pk in enumerate(pks.tolist()):
                copy.write_row((pk, b"synthetic manifest store %d" % (first + i)))
        # the postings' indexes and foreign key are rebuilt after the load, from their own
        # definitions: one sort instead of 60 million index insertions and key checks
        indexes = [d for (d,) in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'postings'").fetchall()]  # fmt: skip
        fks = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'postings'::regclass AND contype = 'f'"
        ).fetchall()
        for name, _ in fks:
            conn.execute(f"ALTER TABLE postings DROP CONSTRAINT {name}")
        names = "SELECT indexname FROM pg_indexes WHERE tablename = 'postings'"
        for (name,) in conn.execute(names).fetchall():
            conn.execute(f"DROP INDEX {name}")
        post = _postings(pks, videos)
        binary = np.empty(post.size, dtype=[("n", ">i2"), ("l1", ">i4"), ("key", ">i4"),
                                            ("l2", ">i4"), ("manifest", ">i8"), ("l3", ">i4"),
                                            ("second", ">i4"), ("l4", ">i4"),
                                            ("rest", ">i8")])  # fmt: skip
        binary["n"], binary["l1"], binary["l2"], binary["l3"], binary["l4"] = 4, 4, 8, 4, 8
        for name in ("key", "manifest", "second", "rest"):
            binary[name] = post[name]
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY postings (key, manifest, second, rest) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
            for lo in range(0, binary.size, 1_000_000):
                copy.write(binary[lo : lo + 1_000_000].tobytes())
            copy.write(b"\xff\xff")
        conn.execute("SET maintenance_work_mem = '1GB'")
        for definition in indexes:
            conn.execute(definition)
        for name, definition in fks:
            conn.execute(f"ALTER TABLE postings ADD CONSTRAINT {name} {definition}")
    conn.execute("VACUUM ANALYZE postings")
    conn.execute("VACUUM ANALYZE manifests")


def stretch_query(
    rng: np.random.Generator,
    cores: np.ndarray,
    *,
    hypotheses: int = 1,
    found: bool = True,
    cropped: bool = False,
) -> Query:
    """A 4 s stretch of the video with these cores, as a re-encoded copy would query it
    (`found`), or of another picture. `cropped`: a copy the first round misses, found in
    the crop round: one crop hypothesis (not the identity) shows the signed picture, the
    others another one."""
    seconds = len(cores)
    origin = int(rng.integers(0, max(1, seconds * 1000 - QUERY_MS - 1000)))
    right = int(rng.integers(1, hypotheses)) if cropped else -1
    probes = []
    for start in range(0, QUERY_MS - BLOCK_MS + 1, PHASE_MS):
        t = origin + start
        k = min(seconds - 1, round(t / BLOCK_MS))
        off = abs(t - k * BLOCK_MS) / (BLOCK_MS / 2)  # 0 aligned .. 1 half a second off
        for h in range(hypotheses):
            weak = rng.choice(KEY_BITS, WEAK_BITS, replace=False)
            signed = found and (not cropped or h == right)
            value = int(cores[k]) if signed else int(rng.integers(0, 2**63))
            errors = rng.binomial(64, 0.03 + 0.2 * off)
            for _ in range(errors):
                # most re-encode errors hit the least certain bits
                bit = int(rng.choice(weak[:4])) if rng.random() < 0.6 else int(rng.integers(64))
                value ^= 1 << bit
            probes.append(Probe(start, h, value, bytes(int(b) for b in weak)))
    # as lookup_file asks, round by round
    flips = VIDEO_ROUNDS[0 if hypotheses == 1 else 1][1]
    return Query("video", 1920, 1080, (0, 0, 128, 128), tuple(probes), 60_000, flips)


def _hits_as_rows(reg: PostgresRegistry, keys: Sequence[int]) -> np.ndarray:
    """PostgreSQL's postings under the keys as rows, as they were read before."""
    sql = "SELECT key, manifest, second, rest FROM postings WHERE key = ANY(%s)"
    return np.array(reg._query(sql, (list(keys),)), dtype=np.int64).reshape(-1, 4)


# The lookup before this change, measured beside it on the same index: every key hit
# votes (`VOTE_BITS` 64: the rest of the core hash, which the index holds since schema 3,
# is not looked at), and PostgreSQL's hits come back as rows.
BEFORE = {(match, "VOTE_BITS"): 64, (PostgresRegistry, "_hits"): _hits_as_rows}


@contextlib.contextmanager
def variant(settings: dict[tuple[Any, str], Any]) -> Iterator[None]:
    """Run the lookup with these attributes replaced (the code before a change)."""
    saved = {key: getattr(*key) for key in settings}
    for (owner, name), value in settings.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for (owner, name), value in saved.items():
            setattr(owner, name, value)


def size_bytes(reg: SqlRegistry) -> int:
    """The index without the manifest stores (synthetic here, real ones measured apart)."""
    from provenance._registry.postgres import PostgresRegistry
    from provenance._registry.sqlite import SqliteRegistry

    if isinstance(reg, SqliteRegistry):
        rows = reg._query(
            "SELECT name, sum(pgsize) FROM dbstat WHERE name NOT LIKE 'manifest_stores%' "
            "AND name NOT LIKE 'sqlite_autoindex_manifest_stores%' GROUP BY name",
            (),
        )
        return int(sum(r[1] for r in rows))
    assert isinstance(reg, PostgresRegistry)
    rows = reg._query(
        "SELECT pg_total_relation_size('manifests') + pg_total_relation_size('postings')", ()
    )
    return int(rows[0][0])


def server_cpu(reg: SqlRegistry) -> Callable[[], int]:
    """Nanoseconds on CPU of the PostgreSQL backend serving `reg` (0 for SQLite, whose
    work is the benchmark's own thread's): with the client's, what a lookup costs whatever
    else the machine runs."""
    from provenance._registry.postgres import PostgresRegistry

    if not isinstance(reg, PostgresRegistry):
        return lambda: 0
    stat = Path(f"/proc/{reg._query('SELECT pg_backend_pid()', ())[0][0]}/schedstat")
    return lambda: int(stat.read_text().split()[0])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def registered_cores(reg: SqlRegistry) -> tuple[list[np.ndarray], float]:
    """The core hashes of every registered video, and their minutes (for --reuse)."""
    from provenance._registry.match import BlockTable

    cores = [
        BlockTable.unpack(bytes(blob)).rows["core"].copy()
        for (blob,) in reg._query("SELECT blocks FROM manifests ORDER BY id", ())  # type: ignore[attr-defined]
    ]
    return cores, sum(len(c) for c in cores) / 60


def run_backend(
    name: str, make: Callable[[], SqlRegistry], scales: list[int], args: argparse.Namespace
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    reg = make()
    all_cores: list[np.ndarray] = []
    samples: list[np.ndarray] = []  # cores of videos kept for "found" queries
    rows = []
    total = 0
    minutes = 0.0
    if args.reuse and reg.count() >= scales[-1]:
        all_cores, minutes = registered_cores(reg)
        total = len(all_cores)
        samples = [all_cores[int(i)] for i in rng.integers(0, total, 2000)]
        scales = [total]
        print(f"  {name}: reusing {total} registered videos", file=sys.stderr, flush=True)
    for scale in scales:

        def video(scale: int = scale) -> np.ndarray:
            nonlocal minutes
            cores = synthetic_cores(rng, int(rng.integers(30, 91)))
            all_cores.append(cores)
            minutes += len(cores) / 60
            if rng.random() < 2000 / max(scale, 1) or len(samples) < 50:
                samples.append(cores)
            return cores

        # the last --sample videos of each scale go through Registry.register, the rest
        # (with --bulk) through bulk_fill
        real = scale - total if not args.bulk else min(args.sample, scale - total)
        t_bulk, bulked = 0.0, 0
        if scale - total > real:
            videos = [video() for _ in range(scale - total - real)]
            t0 = time.perf_counter()
            bulk_fill(reg, total, videos)
            t_bulk, bulked = time.perf_counter() - t0, len(videos)
            total += len(videos)
            print(f"  {name}: {total} videos (bulk, {t_bulk:.0f} s)", file=sys.stderr, flush=True)
        t_reg = 0.0
        added = 0
        while total < scale:
            n = min(args.batch, scale - total)
            batch = [registration(total + i, video(), rng) for i in range(n)]
            t0 = time.perf_counter()
            reg.register(batch)
            t_reg += time.perf_counter() - t0
            total += n
            added += n
            if total % (args.batch * 20) == 0:
                print(f"  {name}: {total} videos", file=sys.stderr, flush=True)
        size = size_bytes(reg)
        flat = np.concatenate(all_cores)

        def sample() -> np.ndarray:
            return samples[int(rng.integers(len(samples)))]

        hyps = len(COARSE)
        sets = {
            "found": [stretch_query(rng, sample()) for _ in range(args.queries)],
            "absent": [stretch_query(rng, synthetic_cores(rng, 60), found=False)
                       for _ in range(args.queries // 4)],
            "absent, 27 hypotheses": [
                stretch_query(rng, synthetic_cores(rng, 60), hypotheses=hyps, found=False)
                for _ in range(args.queries // 10)],
            "cropped, 27 hypotheses": [
                stretch_query(rng, sample(), hypotheses=hyps, cropped=True)
                for _ in range(args.queries // 10)],
        }  # fmt: skip
        variants = {"before": BEFORE, "": {}} if args.compare else {"": {}}
        lat = {(v, label): [] for v in variants for label in sets}
        cpu = {key: [] for key in lat}
        hits = {key: 0 for key in lat}
        server = server_cpu(reg)
        for q in sets["found"][:5]:
            reg.search(q)  # warm the caches
        load = os.getloadavg()[0]
        for label, queries in sets.items():
            for i, q in enumerate(queries):
                # the variants one after the other on each query, in turn first (the
                # second finds the index pages the first read in the cache): the same
                # load and the same cache for both
                for v, settings in list(variants.items())[:: 1 if i % 2 else -1]:
                    with variant(settings):
                        c0, s0, t0 = time.thread_time_ns(), server(), time.perf_counter()
                        matches = reg.search(q)
                        lat[v, label].append((time.perf_counter() - t0) * 1000)
                        cpu[v, label].append((time.thread_time_ns() - c0 + server() - s0) / 1e6)
                    hits[v, label] += bool(matches)
        load = (load + os.getloadavg()[0]) / 2
        scan = []
        for q in sets["found"][: max(3, min(20, 2_000_000 // total))]:
            cores_q = np.array([p.core for p in q.probes], dtype=np.uint64)
            t0 = time.perf_counter()
            for c in cores_q:
                np.bitwise_count(np.bitwise_xor(flat, c)).min()
            scan.append((time.perf_counter() - t0) * 1000)
        for v in variants:

            def p(label: str, q: float, v: str = v, times: dict = lat) -> float:
                return percentile(times[v, label], q)

            row = {
                "backend": f"{name} {v}".strip(),
                "videos": total,
                "minutes": minutes,
                "bytes_per_minute": size / minutes,
                "size_mb": size / 1e6,
                "register_videos_s": added / t_reg if t_reg else float("nan"),
                "bulk_videos_s": bulked / t_bulk if t_bulk else float("nan"),
                "found_p50": p("found", 50),
                "found_p99": p("found", 99),
                "absent_p50": p("absent", 50),
                "absent_p99": p("absent", 99),
                "absent27_p50": p("absent, 27 hypotheses", 50),
                "absent27_p99": p("absent, 27 hypotheses", 99),
                "cropped_p50": p("cropped, 27 hypotheses", 50),
                "found_cpu_p50": p("found", 50, times=cpu),
                "found_cpu_p99": p("found", 99, times=cpu),
                "absent27_cpu_p50": p("absent, 27 hypotheses", 50, times=cpu),
                "load": load,
                "scan_p50": statistics.median(scan),
                "recall": hits[v, "found"] / len(sets["found"]),
                "crop_recall": hits[v, "cropped, 27 hypotheses"]
                / len(sets["cropped, 27 hypotheses"]),
                "false": hits[v, "absent"] + hits[v, "absent, 27 hypotheses"],
            }
            rows.append(row)
            print_row(row)
    reg.close()
    return rows


HEADER = (
    f"{'backend':16} {'videos':>8} {'B/video-min':>11} {'size MB':>8} {'reg videos/s':>12} "
    f"{'bulk videos/s':>13} "
    f"{'found p50/p99 ms':>17} {'absent p50/p99':>15} {'27 hyp p50/p99':>15} "
    f"{'scan p50 ms':>11} {'recall':>6} {'found CPU p50/p99':>17} {'27 hyp CPU p50':>14} "
    f"{'cropped p50':>11} {'crop recall':>11} {'false':>5} {'load':>5}"
)


def print_row(r: dict[str, Any]) -> None:
    print(
        f"{r['backend']:16} {r['videos']:>8} {r['bytes_per_minute']:>11.0f} "
        f"{r['size_mb']:>8.0f} {r['register_videos_s']:>12.0f} {r['bulk_videos_s']:>13.0f} "
        f"{r['found_p50']:>8.1f}/{r['found_p99']:<8.1f} {r['absent_p50']:>7.1f}/"
        f"{r['absent_p99']:<7.1f} {r['absent27_p50']:>7.1f}/{r['absent27_p99']:<7.1f} "
        f"{r['scan_p50']:>11.1f} {r['recall']:>6.1%} "
        f"{r['found_cpu_p50']:>8.1f}/{r['found_cpu_p99']:<8.1f} {r['absent27_cpu_p50']:>14.1f} "
        f"{r['cropped_p50']:>11.1f} {r['crop_recall']:>11.1%} {r['false']:>5} {r['load']:>5.1f}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scales", default="10000,100000", help="comma-separated video counts")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--batch", type=int, default=1000, help="videos per register() call")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument(
        "--bulk",
        action="store_true",
        help="fill each scale with bulk_fill (the same rows, written in bulk), all but the "
        "last --sample videos, which go through Registry.register",
    )
    ap.add_argument("--sample", type=int, default=2000, help="videos registered the real way")
    ap.add_argument("--workdir", type=Path, default=None, help="where the SQLite file goes")
    ap.add_argument("--postgres", default=None, help="a postgresql:// URL (else a throwaway)")
    ap.add_argument(
        "--compare",
        action="store_true",
        help="measure the lookup before this change (BEFORE) beside it, query by query",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="measure lookups on the SQLite file (or --postgres database) left by a previous "
        "run, when it holds the largest scale already",
    )
    args = ap.parse_args()
    scales = sorted(int(s) for s in args.scales.split(","))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="registry-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; scales {scales}; workdir {work}", flush=True)
    print(HEADER)
    results = []
    for backend in args.backends.split(","):
        t0 = time.perf_counter()
        if backend == "sqlite":
            from provenance._registry.sqlite import SqliteRegistry

            db = work / "scale.db"
            for suffix in ("", "-wal", "-shm"):
                if not args.reuse:
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            results += run_backend(
                "sqlite", lambda db=db: SqliteRegistry(db, create=True), scales, args
            )
        elif backend == "postgres":
            from provenance._registry.postgres import PostgresRegistry

            cluster = None
            url = args.postgres
            if url is None:
                from support.postgres import Cluster, find_bindir

                bindir = find_bindir()
                if bindir is None:
                    print("postgres: initdb/pg_ctl not found; skipped", flush=True)
                    continue
                cluster = Cluster(bindir, settings="-c shared_buffers=2GB -c work_mem=64MB")
                cluster.start()
                url = cluster.create_database("scale")
            try:
                results += run_backend("postgres", lambda u=url: PostgresRegistry(u), scales, args)
            finally:
                if cluster is not None:
                    cluster.stop()
        print(f"  {backend}: wall time {time.perf_counter() - t0:.0f} s", flush=True)
    if len(scales) > 1:
        print("\nlookup cost growth (p50 of 'found' relative to the smallest scale):")
        for r in results:
            base = next(x for x in results if x["backend"] == r["backend"])
            grow = r["videos"] / base["videos"]
            print(
                f"  {r['backend']:9} {r['videos']:>8}: index x{grow:<6.0f} lookup "
                f"x{r['found_p50'] / base['found_p50']:.2f}   scan x"
                f"{r['scan_p50'] / base['scan_p50']:.2f}"
            )


if __name__ == "__main__":
    main()
