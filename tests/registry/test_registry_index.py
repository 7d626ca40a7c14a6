"""The index a lookup reads (SQLite and PostgreSQL) and the votes it casts: each key's
postings come from the index alone, and the votes count what the anti-spoofing rule
expects, however many hits there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from support.registrations import synthetic

from provenance._registry.fingerprint import BLOCK_MS, HYPOTHESES, Block, BlockValue
from provenance._registry.match import (
    KEY_BUDGET,
    BlockTable,
    Candidate,
    Probes,
    Votes,
    key_of,
    probe_keys,
    rank,
    scan_votes,
    vote,
)
from provenance._registry.postgres import PostgresRegistry
from provenance._registry.query import Probe, Query
from provenance._registry.softbinding import SoftBinding
from provenance._registry.sqlite import SqliteRegistry
from provenance._registry.store import Registry


def test_votes_count_distinct_signed_seconds_per_offset_and_hypothesis() -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    pk = rng.integers(1, 60, n)
    offset = rng.integers(-40, 40, n) * 100
    hyp = rng.integers(0, 27, n)
    second = rng.integers(0, 90, n)
    seconds: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for row in zip(pk.tolist(), offset.tolist(), hyp.tolist(), second.tolist(), strict=True):
        seconds[row[:3]].add(row[3])
    votes = Votes.tally(pk, offset, hyp, second)
    got = list(zip(votes.pk.tolist(), votes.offset.tolist(), votes.hyp.tolist(), strict=True))
    assert got == sorted(seconds)  # groups in (manifest, offset, hypothesis) order
    assert votes.count.tolist() == [len(seconds[g]) for g in got]
    assert Votes.tally(*(np.zeros(0, np.int64) for _ in range(4))).count.size == 0


def test_a_hit_votes_for_every_window_that_asked_its_key() -> None:
    core = 0xABCDEF123456
    windows = (Probe(0, 0, core, b""), Probe(2000, 0, core, b""), Probe(1000, 0, core ^ 1, b""))
    query = Query("video", 640, 360, (0, 0, 128, 128), windows, 3000)
    probes = Probes(np.array([key_of(p.core) for p in windows]), np.arange(3))
    # signed second 5 of manifest 7 has the first two windows' key; manifest 8 the third's
    rest = core >> 24
    hits = np.array([(key_of(core), 7, 5, rest), (key_of(core ^ 1), 8, 1, rest)])
    votes = vote(query, probes, hits)
    assert sorted(zip(votes.pk.tolist(), votes.offset.tolist(), strict=True)) == [
        (7, 3000),  # window at 2 s shows signed second 5: offset +3 s
        (7, 5000),  # window at 0 s
        (8, 0),
    ]
    assert votes.top(1) == [7]


def test_a_crop_round_asks_each_window_its_likeliest_keys_within_the_budget() -> None:
    rng = np.random.default_rng(5)
    # a 4 s stretch under the 27 crop hypotheses: 31 windows each
    windows = tuple(
        Probe(start, h, int(rng.integers(0, 2**63)), bytes(rng.permutation(24)[:10].tolist()))
        for start in range(0, 3100, 100)
        for h in range(27)
    )
    query = Query("video", 640, 360, (0, 0, 128, 128), windows, 60_000, flips=2)
    probes = probe_keys(query, flips=2)
    asked = set(probes.unique())
    # whole ranks: every window's own key and its two least certain bits flipped, no more,
    # each on behalf of the window that asks it
    likeliest = {
        (key_of(p.core) ^ m, i)
        for i, p in enumerate(windows)
        for m in (0, 1 << p.weak[0], 1 << p.weak[1])
    }
    assert set(zip(probes.key.tolist(), probes.probe.tolist(), strict=True)) == likeliest
    assert len(asked) <= KEY_BUDGET["video"] < len(asked) + len(windows)
    # one hypothesis (the first round) keeps all of a window's single flips
    first = Query("video", 640, 360, (0, 0, 128, 128), windows[::27], 60_000, flips=1)
    assert len(probe_keys(first, flips=1).unique()) == 31 * 11
    # own keys alone past the budget: the windows asked first
    assert probe_keys(query, flips=2, budget=100).unique() == sorted(
        {key_of(p.core) for p in windows[:100]}
    )


def test_lookups_read_each_keys_postings_from_the_index_alone(
    new_registry: Callable[[], Registry],
) -> None:
    reg = new_registry()
    reg.register([synthetic(i) for i in range(30)])
    if isinstance(reg, SqliteRegistry):
        plan = reg._query(f"EXPLAIN QUERY PLAN {reg._HITS}", ("[1, 2]",))
        assert any("USING PRIMARY KEY (key=?)" in row[-1] for row in plan), plan
        # the postings table is the key-ordered index itself
        ddl = reg._query("SELECT sql FROM sqlite_master WHERE name = 'postings'", ())[0][0]
        assert "WITHOUT ROWID" in ddl
        return
    assert isinstance(reg, PostgresRegistry)
    conn = reg._conn()
    conn.execute("VACUUM postings")  # what autovacuum does after a tenth of new rows
    conn.execute("SET enable_seqscan = off")  # a 600-row table would be read whole
    conn.execute("SET enable_bitmapscan = off")
    keys = [key for key, _, _ in synthetic(0).postings()]  # 24-bit keys, as a lookup sends
    plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {reg._HITS}", (keys,)).fetchall())
    assert "Index Only Scan using postings_key_covering" in plan, plan
    hits = reg._hits(keys)
    mine = hits[hits[:, 1] == 1][:, [0, 2, 3]]
    assert sorted(map(tuple, mine.tolist())) == synthetic(0).postings()


def test_a_hit_votes_only_when_the_rest_of_the_core_hash_is_near() -> None:
    core = 0xABCDEF123456789A
    window = (Probe(0, 0, core, b""),)
    query = Query("video", 640, 360, (0, 0, 128, 128), window, 3000)
    probes = Probes(np.array([key_of(core)]), np.zeros(1, np.int64))
    rest = core >> 24
    near, far = rest ^ 0b1011, rest ^ ((1 << 40) - 1)  # 3 bits off; all 40 bits off
    hits = [(key_of(core), 7, 5, near), (key_of(core), 8, 5, far)]
    votes = vote(query, probes, np.array(hits))
    assert votes.pk.tolist() == [7]  # manifest 8 shares the key, not the picture


def test_a_single_vote_is_not_crowded_out_by_random_key_hits(
    new_registry: Callable[[], Registry],
) -> None:
    """At a million videos a query's true block may be the only one whose key it asks,
    among a thousand manifests sharing that key by chance (benchmarks/registry_scale.py)."""
    rng = np.random.default_rng(9)
    cores = [int(c) for c in rng.integers(0, 2**63, 20)]
    # a 4 s copy of signed seconds 5-8: every window near its block (5 of 64 bits off),
    # but only the first keeps the block's key, so the original gets a single vote
    windows = tuple(
        Probe(i * 1000, 0, cores[5 + i] ^ (0b11 << 30) ^ (0 if i == 0 else 0b111 << 3), b"")
        for i in range(4)
    )
    query = Query("video", 640, 360, (0, 0, 128, 128), windows, 4000, flips=0)
    # registered first (so ahead in ties): 40 manifests with that key, another picture
    far = cores[5] ^ (((1 << 40) - 1) << 24)
    decoys = [
        synthetic(100 + i, cores=[*map(int, rng.integers(0, 2**63, 3)), far, 7, 8])
        for i in range(40)
    ]
    reg = new_registry()
    reg.register(decoys)
    reg.register([synthetic(1, cores=cores)])
    matches = reg.search(query)
    assert [m.manifest_id for m in matches] == [synthetic(1).manifest_id]
    assert matches[0].signed_range == (5.0, 9.0)




def _flip(core: int, rng: np.random.Generator, bits: int) -> int:
    for b in rng.choice(64, bits, replace=False):
        core ^= 1 << int(b)
    return core


def test_a_hypothesis_that_aligns_more_blocks_but_fails_the_rule_hides_no_match() -> None:
    # a cropped copy: under a wrong crop hypothesis five of six seconds come out loosely
    # close (12 bits each: aligned, but over the mean the rule allows), under the right
    # one four come out close (2 bits) and two are edited away
    rng = np.random.default_rng(12)
    cores = [int(c) for c in rng.integers(0, 2**63, 6)]
    binding = SoftBinding(tuple(
        Block(k * BLOCK_MS, (k + 1) * BLOCK_MS, BlockValue(c, 0, (0, 0, 128, 128)))
        for k, c in enumerate(cores)
    ))  # fmt: skip
    wrong, right = 1, 2
    probes = [Probe(k * BLOCK_MS, wrong, _flip(c, rng, 12 if k < 5 else 32), b"")
              for k, c in enumerate(cores)]  # fmt: skip
    probes += [Probe(k * BLOCK_MS, right, _flip(c, rng, 2 if k < 4 else 32), b"")
               for k, c in enumerate(cores)]  # fmt: skip
    query = Query("video", 320, 180, (0, 0, 128, 128), tuple(probes), 6 * BLOCK_MS)
    candidate = Candidate(7, "urn:c2pa:x", "video", None, None, 0, BlockTable.of(binding))
    votes = scan_votes(query, [candidate])
    assert votes.pairs(7, 1) == [(0, wrong)]  # the wrong hypothesis has the most votes
    (match,) = rank(query, [candidate], votes, 5)
    assert (match.aligned_blocks, match.compared_blocks) == (4, 6)
    assert match.geometry.zoom == HYPOTHESES[right].zoom
    assert match.geometry.shift == (HYPOTHESES[right].dx, HYPOTHESES[right].dy)
