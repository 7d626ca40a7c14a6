"""From index hits to ranked matches, with the anti-spoofing rule.

1. **Probe.** Each query window's index key (the 24 lowest-frequency bits of its core
   hash), then the keys with one, then two, of its least certain bits flipped.
2. **Vote.** A hit (manifest, signed second) counts only if the rest of the block's core
   hash, stored beside its key, puts the whole hash within `VOTE_BITS` of the window's:
   a block that could align (3. below). A random key hit passes 1 time in 40, so at a
   million videos a window's true block is no longer outvoted by chance. Every counted
   hit implies a time offset between the signed video and the checked file, under the
   crop hypothesis of the window that found it; votes count the distinct signed seconds
   behind each (manifest, offset, hypothesis).
3. **Align** (the anti-spoofing rule). For the best-voted manifests, the signed block
   table is laid over the query's windows at the offsets and hypotheses with the most
   votes. A signed block *aligns* when a query window starts within 60 ms of it and their
   core hashes differ in at most `ALIGN_BITS` of 64 bits. A manifest is a **match** only
   if, at one offset and hypothesis:

   - at least `MIN_ALIGNED` (2) blocks align: two seconds of the query, in order, at the
     signed spacing;
   - at least half of the signed blocks the query covers align, so that a look-alike
     resembling the original here and there does not count, while an edit of less than
     half of the covered time keeps the match;
   - the aligned blocks differ by at most `MEAN_BITS` bits on average.

   A still image is a match when, under one crop hypothesis, its whole picture's block
   aligns (within `IMAGE_BITS`), or at least half of its regional blocks (`MIN_REGIONS`
   of the sixteen, the checked copy's flat windows left out) do, each within
   `IMAGE_BITS`: half of the picture's windows, so a local edit (an object pasted over a
   few % of it, a swapped face) keeps the match. Unrelated photos align at most 2 of 16
   (docs/registry.md).

   Unrelated pictures differ in about 32 of 64 bits; re-encodes, rescales, bars and
   overlays of the same picture in 0-9, crops of up to 5% a side in 0-9 under the best
   hypothesis (benchmarks/registry_accuracy.py prints the distributions).
4. **Rank** by similarity (100 at identical hashes, 0 at 32 differing bits, which is
   chance, averaged over the covered blocks), then by aligned blocks, then by registration
   order: an original predates its re-signed copies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..models import Geometry, Match
from .fingerprint import BLOCK_MS, HYPOTHESES, KEY_BITS, REGIONS, SIZE, Box
from .query import PHASE_MS, WEAK_BITS, Query
from .softbinding import SoftBinding

__all__ = [
    "ALIGN_BITS",
    "IMAGE_BITS",
    "KEY_BUDGET",
    "MEAN_BITS",
    "MIN_ALIGNED",
    "MIN_REGIONS",
    "VOTE_BITS",
    "BlockTable",
    "Candidate",
    "Probes",
    "Votes",
    "key_of",
    "probe_keys",
    "rank",
    "scan_votes",
    "vote",
]

ALIGN_BITS = 14
IMAGE_BITS = 12
MIN_REGIONS = 8
MEAN_BITS = 10
MIN_ALIGNED = 2
MIN_FRACTION = 0.5
VOTE_BITS = ALIGN_BITS
_SLACK_MS = PHASE_MS // 2 + 10
_HOT_KEY = 2000  # a key this common (black frames, fades) says nothing: skip it
_PAIRS = 4  # (offset, hypothesis) pairs aligned per manifest, most voted first
_KEY_MASK = (1 << KEY_BITS) - 1

_ROW = np.dtype([("start", "<u4"), ("length", "<u2"), ("flags", "u1"), ("core", "<u8")])


@dataclass(frozen=True)
class BlockTable:
    """A registered manifest's blocks as the registry keeps them: the content box, then
    15 bytes a block (start ms, length ms, flags, core hash). A still's blocks are
    numbered like seconds: the whole picture starts at 0, region i at i seconds."""

    box: Box
    rows: npt.NDArray[Any]

    @classmethod
    def of(cls, binding: SoftBinding) -> BlockTable:
        """The table of a soft binding."""
        rows = np.zeros(len(binding.blocks), dtype=_ROW)
        for i, b in enumerate(binding.blocks):
            length = (b.end_ms or 0) - (b.start_ms or 0)
            start = b.region * BLOCK_MS if b.start_ms is None else b.start_ms
            rows[i] = (start, min(length, 65535), b.value.flat, b.value.core)
        boxes = np.array([b.value.box for b in binding.blocks])
        x0, y0, x1, y1 = (int(v) for v in np.median(boxes, axis=0))
        return cls((x0, y0, x1, y1), rows)

    def pack(self) -> bytes:
        """The bytes the registry stores."""
        return bytes(self.box) + self.rows.tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> BlockTable:
        """Read back `pack()` output."""
        x0, y0, x1, y1 = data[:4]
        return cls((x0, y0, x1, y1), np.frombuffer(data[4:], dtype=_ROW))

    def postings(self, kind: str) -> list[tuple[int, int, int]]:
        """(key, signed second, rest) of every block the index holds, without duplicates:
        whole seconds of a video (a still: its blocks, 0 the whole picture and 1-16 its
        regions, in the second's place), not flat. The index is derived from the stored
        table alone, so any registry can be re-indexed."""
        rows = self.rows[self.rows["flags"] == 0]
        if kind == "video":
            rows = rows[rows["length"] == BLOCK_MS]
        seconds = rows["start"] // 1000  # a still's block number (see `of`)
        core = rows["core"]
        keys, rests = core & np.uint64(_KEY_MASK), core >> np.uint64(KEY_BITS)
        return sorted(set(zip(keys.tolist(), seconds.tolist(), rests.tolist(), strict=True)))

    @property
    def end_ms(self) -> int:
        """Where the last block ends, in milliseconds."""
        return int((self.rows["start"].astype(np.int64) + self.rows["length"]).max())


def key_of(core: int) -> int:
    """The index key of a core hash: its lowest `KEY_BITS` bits."""
    return core & _KEY_MASK


@dataclass(frozen=True)
class Probes:
    """The index keys a query looks up: `key[i]` was asked for by window `probe[i]`."""

    key: npt.NDArray[np.int64]
    probe: npt.NDArray[np.int64]

    def unique(self) -> list[int]:
        """The distinct keys, to ask the index once each."""
        return [int(k) for k in _distinct(self.key)]


def _distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The sorted distinct values: a sort, ten times faster on a query's few thousand keys
    than NumPy 2's hashing `np.unique` (3 ms for 3,000 keys)."""
    s = np.sort(values)
    out: npt.NDArray[np.int64] = s[np.concatenate([[True], s[1:] != s[:-1]])]
    return out


_PAIRS_OF = np.array(
    sorted(
        ((a, b) for a in range(WEAK_BITS) for b in range(a + 1, WEAK_BITS)),
        key=lambda p: (p[0] + p[1], p[0]),
    )
)  # the least certain pairs first
KEY_BUDGET = {"video": 3000, "image": 8000}
"""Distinct keys a query may ask for, in whole ranks (every window's own key; then with
its least certain bit flipped; then its second; ...; then pairs). A 4 s stretch of video
asks 341 keys in its first round (31 windows, ten single flips) and 2,511 in its crop
round (27 hypotheses, two single flips; a whole 12 s clip, own keys only): that round runs
for every file the first round does not find, so its cost is what an unrelated file pays.
A still, with no other seconds to fall back on, asks for its 125 hypotheses' 7,000, and its
regional windows' own keys (2,000; 2,535 distinct keys in all on a typical photo)."""


def probe_keys(query: Query, *, flips: int, budget: int | None = None) -> Probes:
    """Every window's own key, then its keys with one weak bit flipped, then two, rank by
    rank across all windows and hypotheses while the distinct keys stay within `budget`
    (by default `KEY_BUDGET` of the query's kind)."""
    budget = KEY_BUDGET[query.kind] if budget is None else budget
    n = len(query.probes)
    base = np.array([p.core for p in query.probes], dtype=np.uint64).astype(np.int64) & _KEY_MASK
    padded = b"".join(p.weak[:WEAK_BITS].ljust(WEAK_BITS, b"\xff") for p in query.probes)
    weak = np.frombuffer(padded, dtype=np.uint8).reshape(n, WEAK_BITS).astype(np.int64)
    weak[weak == 0xFF] = -1
    one = np.where(weak >= 0, np.left_shift(1, np.maximum(weak, 0)), 0)
    two = np.where(
        (weak[:, _PAIRS_OF[:, 0]] >= 0) & (weak[:, _PAIRS_OF[:, 1]] >= 0),
        one[:, _PAIRS_OF[:, 0]] | one[:, _PAIRS_OF[:, 1]],
        0,
    )
    # rows are ranks, columns windows: read row by row, the likeliest keys come first
    masks = np.concatenate([np.zeros((n, 1), np.int64), one, two][: 1 + min(flips, 2)], axis=1).T
    valid = masks != 0
    valid[0] = True
    key = (base[None, :] ^ masks)[valid]
    probe = np.broadcast_to(np.arange(n)[None, :], masks.shape)[valid]
    rank = np.broadcast_to(np.arange(len(masks))[:, None], masks.shape)[valid]
    ranks = 1
    while ranks < len(masks) and _distinct(key[rank <= ranks]).size <= budget:
        ranks += 1
    key, probe = key[rank < ranks], probe[rank < ranks]
    distinct, first = np.unique(key, return_index=True)
    if distinct.size > budget:  # own keys alone past the budget: the windows asked first
        keep = np.isin(key, key[np.sort(first)[:budget]])
        key, probe = key[keep], probe[keep]
    return Probes(key, probe)


@dataclass(frozen=True)
class Candidate:
    """A registered manifest as the lookup needs it."""

    pk: int
    manifest_id: str
    kind: str
    title: str | None
    signer: str | None
    registered: int  # registration order
    table: BlockTable


@dataclass(frozen=True)
class Votes:
    """How many distinct signed seconds voted for each (manifest, offset ms, hypothesis)."""

    pk: npt.NDArray[np.int64]
    offset: npt.NDArray[np.int64]
    hyp: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]

    @classmethod
    def tally(
        cls,
        pk: npt.NDArray[np.int64],
        offset: npt.NDArray[np.int64],
        hyp: npt.NDArray[np.int64],
        second: npt.NDArray[np.int64],
    ) -> Votes:
        """Count distinct signed seconds per (manifest, offset, hypothesis)."""
        group = _lex_codes(pk, offset, hyp)
        _, distinct = np.unique(_lex_codes(group, second), return_index=True)
        _, first, counts = np.unique(group[distinct], return_index=True, return_counts=True)
        rep = distinct[first]
        return cls(pk[rep], offset[rep], hyp[rep], counts.astype(np.int64))

    def top(self, limit: int) -> list[int]:
        """Manifests to align, most voted first (all their offsets and hypotheses count:
        the true original collects votes from neighbouring windows and hypotheses too)."""
        pks, inverse = np.unique(self.pk, return_inverse=True)
        totals = np.bincount(inverse, weights=self.count)
        return [int(pks[i]) for i in np.argsort(-totals, kind="stable")[:limit]]

    def pairs(self, pk: int, n: int) -> list[tuple[int, int]]:
        """The n most voted (offset, hypothesis) pairs of one manifest."""
        mine = np.nonzero(self.pk == pk)[0]
        best = mine[np.argsort(-self.count[mine], kind="stable")[:n]]
        return [(int(self.offset[i]), int(self.hyp[i])) for i in best]


def _lex_codes(*columns: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """One integer per row of these columns, ordered as the rows are lexicographically
    (equal rows, equal codes): sorting and grouping by it is one-dimensional, many times
    faster than `np.unique(..., axis=0)` on a lookup's tens of thousands of hits."""
    code = np.zeros(columns[0].size, dtype=np.int64)
    for column in columns:
        values, rank_ = np.unique(column, return_inverse=True)
        # both factors are below the row count: the product stays far inside int64
        _, code = np.unique(code * values.size + rank_, return_inverse=True)
    return code


def vote(query: Query, probes: Probes, hits: npt.ArrayLike) -> Votes:
    """Count, per manifest, the signed seconds behind each (offset, hypothesis); `hits`
    are the index's (key, manifest, second, rest) rows under the probed keys."""
    h = np.array(hits, dtype=np.int64).reshape(-1, 4)
    hit_keys, per_key = np.unique(h[:, 0], return_counts=True)
    h = h[~np.isin(h[:, 0], hit_keys[per_key > _HOT_KEY])]
    # every window that asked a hit's key: the probes sorted by key, a range per hit
    order = np.argsort(probes.key, kind="stable")
    lo = np.searchsorted(probes.key[order], h[:, 0], side="left")
    n = np.searchsorted(probes.key[order], h[:, 0], side="right") - lo
    hit = np.repeat(np.arange(len(h)), n)
    window = order[np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)]
    window = probes.probe[window]
    cores = np.array([p.core for p in query.probes], dtype=np.uint64)
    signed = (h[hit, 3].astype(np.uint64) << np.uint64(KEY_BITS)) | h[hit, 0].astype(np.uint64)
    near = np.bitwise_count(signed ^ cores[window]) <= VOTE_BITS
    hit, window = hit[near], window[near]
    starts = np.array([p.start_ms for p in query.probes], dtype=np.int64)
    hyps = np.array([p.hyp for p in query.probes], dtype=np.int64)
    second = h[hit, 2]
    return Votes.tally(h[hit, 1], second * 1000 - starts[window], hyps[window], second)


def scan_votes(query: Query, candidates: Sequence[Candidate]) -> Votes:
    """The votes an index would have cast, by comparing every window with every block:
    for manifests fetched over HTTP, checked without trusting the server's word."""
    q_core = np.array([p.core for p in query.probes], dtype=np.uint64)
    q_start = np.array([p.start_ms for p in query.probes], dtype=np.int64)
    q_hyp = np.array([p.hyp for p in query.probes], dtype=np.int64)
    parts: list[list[npt.NDArray[np.int64]]] = [[], [], [], []]
    for c in candidates:
        rows = c.table.rows[c.table.rows["flags"] == 0]
        d = np.bitwise_count(np.bitwise_xor(q_core[:, None], rows["core"][None, :]))
        qi, bi = np.nonzero(d <= ALIGN_BITS)
        start = rows["start"][bi].astype(np.int64)
        for part, values in zip(
            parts, (np.full(qi.size, c.pk), start - q_start[qi], q_hyp[qi], start), strict=True
        ):
            part.append(values.astype(np.int64))
    pk, offset, hyp, second = (np.concatenate(p) if p else np.zeros(0, np.int64) for p in parts)
    return Votes.tally(pk, offset, hyp, second)


@dataclass(frozen=True)
class _Alignment:
    aligned: int
    compared: int
    mean_aligned: float
    mean_all: float
    offset: int
    hyp: int
    first: int  # start ms of the first and end ms of the last aligned block
    last: int


class _Windows:
    """The query's windows per hypothesis, sorted by start, for alignment."""

    def __init__(self, query: Query) -> None:
        by_hyp: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for p in query.probes:
            by_hyp[p.hyp].append((p.start_ms, p.core))
        self.arrays = {
            h: (
                np.array([s for s, _ in sorted(items)], dtype=np.int64),
                np.array([c for _, c in sorted(items)], dtype=np.uint64),
            )
            for h, items in by_hyp.items()
        }


def _align_video(windows: _Windows, rows: npt.NDArray[Any], offset: int, hyp: int) -> _Alignment:
    """Lay the signed blocks (`rows`: whole seconds, not flat) over the query's windows."""
    q_start, q_core = windows.arrays[hyp]
    want = rows["start"].astype(np.int64) - offset  # where each block starts in the query
    j = np.minimum(np.searchsorted(q_start, want), len(q_start) - 1)
    j_left = np.maximum(j - 1, 0)
    nearest = np.where(np.abs(q_start[j_left] - want) < np.abs(q_start[j] - want), j_left, j)
    near = np.abs(q_start[nearest] - want) <= _SLACK_MS
    d = np.bitwise_count(np.bitwise_xor(rows["core"][near], q_core[nearest[near]])).astype(int)
    ok = d <= ALIGN_BITS
    starts = rows["start"][near][ok].astype(int)
    return _Alignment(
        aligned=int(ok.sum()),
        compared=int(near.sum()),
        mean_aligned=float(d[ok].mean()) if ok.any() else 64.0,
        mean_all=float(d.mean()) if d.size else 64.0,
        offset=offset,
        hyp=hyp,
        first=int(starts.min()) if starts.size else 0,
        last=int(starts.max()) + BLOCK_MS if starts.size else 0,
    )


class _Stills:
    """A still query's hashes as a (hypothesis, block) matrix, for alignment."""

    def __init__(self, query: Query) -> None:
        self.hyps = sorted(query.hypotheses())
        row = {h: i for i, h in enumerate(self.hyps)}
        blocks = 1 + len(REGIONS)
        self.core = np.zeros((len(self.hyps), blocks), dtype=np.uint64)
        self.present = np.zeros((len(self.hyps), blocks), dtype=bool)
        for p in query.probes:
            i, b = row[p.hyp], p.start_ms // BLOCK_MS
            self.core[i, b], self.present[i, b] = p.core, True


def _align_image(stills: _Stills, table: BlockTable) -> _Alignment | None:
    """The best hypothesis under which the still matches the signed one (see the module),
    or None."""
    rows = table.rows[: stills.core.shape[1]]
    n = rows.size
    compared = stills.present[:, :n] & (rows["flags"] == 0)[None, :]
    d = np.bitwise_count(stills.core[:, :n] ^ rows["core"][None, :]).astype(np.int64)
    aligned = compared & (d <= IMAGE_BITS)
    regions = aligned[:, 1:].sum(axis=1)
    matched = aligned[:, 0] | (
        (regions >= MIN_REGIONS) & (2 * regions >= compared[:, 1:].sum(axis=1))
    )
    if not matched.any():
        return None
    counted = np.maximum(compared.sum(axis=1), 1)
    mean = np.where(compared, d, 0).sum(axis=1) / counted
    # the hypothesis with the most aligned blocks, then the closest
    best = max(np.nonzero(matched)[0], key=lambda i: (int(aligned[i].sum()), -float(mean[i])))
    hits = d[best][aligned[best]]
    return _Alignment(
        aligned=int(aligned[best].sum()),
        compared=int(compared[best].sum()),
        mean_aligned=float(hits.mean()),
        mean_all=float(mean[best]),
        offset=0,
        hyp=stills.hyps[best],
        first=0,
        last=0,
    )


def _geometry(query: Query, hyp: int, signed_box: Box) -> Geometry:
    """The signed frame in checked pixels: the checked content box, moved and scaled by the
    hypothesis, stands for the signed content box, which sits in the signed frame."""
    h = HYPOTHESES[hyp]
    x0, y0, x1, y1 = query.box
    w, hh = (x1 - x0) * h.zoom, (y1 - y0) * h.zoom
    cx, cy = (x0 + x1) / 2 + h.dx * (x1 - x0), (y0 + y1) / 2 + h.dy * (y1 - y0)
    bx0, by0, bx1, by1 = signed_box
    fw, fh = w * SIZE / max(1, bx1 - bx0), hh * SIZE / max(1, by1 - by0)
    fx, fy = cx - w / 2 - bx0 / SIZE * fw, cy - hh / 2 - by0 / SIZE * fh
    sx, sy = query.width / SIZE, query.height / SIZE
    return Geometry(h.zoom, (h.dx, h.dy), (fx * sx, fy * sy, fw * sx, fh * sy))


def _is_match(a: _Alignment) -> bool:
    return (
        a.aligned >= MIN_ALIGNED
        and a.aligned >= MIN_FRACTION * a.compared
        and a.mean_aligned <= MEAN_BITS
    )


def rank(
    query: Query, candidates: Sequence[Candidate], votes: Votes, max_results: int
) -> list[Match]:
    """Apply the anti-spoofing rule to each candidate and rank the matches."""
    windows = _Windows(query)
    stills = _Stills(query) if query.kind == "image" else None
    matches = []
    for c in candidates:
        if c.kind != query.kind:
            continue
        if stills is not None:  # the best hypothesis that passes the rule, if any
            passing = [a for a in [_align_image(stills, c.table)] if a is not None]
        else:
            rows = c.table.rows
            rows = rows[(rows["flags"] == 0) & (rows["length"] == BLOCK_MS)]
            tries = [
                _align_video(windows, rows, offset, hyp)
                for offset, hyp in votes.pairs(c.pk, _PAIRS)
                if hyp in windows.arrays
            ]
            # the best of the alignments that pass the rule: one that aligns more blocks but
            # fails it (a wrong hypothesis, loosely close everywhere) must not hide it
            passing = [a for a in tries if _is_match(a)]
        best = max(passing, key=lambda a: (a.aligned, -a.mean_all), default=None)
        if best is not None:
            matches.append(_match(query, c, best))
    matches.sort(key=lambda m: (-m.similarity, -m.aligned_blocks, m.registered))
    return matches[:max_results]


def _match(query: Query, c: Candidate, a: _Alignment) -> Match:
    similarity = int(round(100 * max(0.0, 1.0 - a.mean_all / 32.0)))
    signed = checked = None
    if query.kind == "video":
        # checked time t shows signed time t + offset: the overlap of both timelines
        lo, hi = max(0, -a.offset), min(query.duration_ms, c.table.end_ms - a.offset)
        if hi <= lo:  # the checked duration is unknown: what aligned
            lo, hi = a.first - a.offset, a.last - a.offset
        checked = (lo / 1000, hi / 1000)
        signed = ((lo + a.offset) / 1000, (hi + a.offset) / 1000)
    return Match(
        manifest_id=c.manifest_id,
        similarity=similarity,
        title=c.title,
        signer=c.signer,
        kind=c.kind,
        signed_range=signed,
        checked_range=checked,
        aligned_blocks=a.aligned,
        compared_blocks=a.compared,
        geometry=_geometry(query, a.hyp, c.table.box),
        registered=c.registered,
    )
