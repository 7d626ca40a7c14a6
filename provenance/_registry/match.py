"""From index hits to ranked matches, with the anti-spoofing rule.

1. **Probe.** Each query window's index key (the 24 lowest-frequency bits of its core
   hash), and the keys with up to `flips` of its least certain bits flipped.
2. **Vote.** Every hit (manifest, signed second) implies a time offset between the signed
   video and the checked file; hits are counted per manifest and offset (250 ms bins).
3. **Align** (the anti-spoofing rule). For the best-voted candidates, the signed block
   table is laid over the query's windows at each offset the hits suggest, under each crop
   hypothesis the query carries. A signed block *aligns* when a query window starts within
   60 ms of it and their core hashes differ in at most `ALIGN_BITS` of 64 bits. A candidate
   is a **match** only if, at one offset and hypothesis:

   - at least `MIN_ALIGNED` (2) blocks align, i.e. two seconds of the query, in order, at
     the signed spacing (a still image: its one block, within `IMAGE_BITS`);
   - at least half of the signed blocks the query covers align (so a look-alike that
     resembles the original here and there does not count, while an edit of less than
     half of the covered time keeps the match);
   - the aligned blocks differ by at most `MEAN_BITS` bits on average.

   Unrelated pictures differ in about 32 of 64 bits; re-encodes, rescales, bars and
   overlays in 0-9 (p95), crops of up to 5% a side in 0-9 under the best hypothesis
   (benchmarks/registry_accuracy.py).
4. **Rank** by similarity (100 minus the mean distance over the covered blocks, scaled so
   that 32 bits, chance, is 0), then by aligned blocks, then by registration order (an
   original predates its re-signed copies).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .fingerprint import BLOCK_MS, HYPOTHESES, KEY_BITS, Hypothesis
from .query import PHASE_MS, Query
from .softbinding import SoftBinding

__all__ = [
    "ALIGN_BITS",
    "IMAGE_BITS",
    "MEAN_BITS",
    "MIN_ALIGNED",
    "TABLE_DTYPE",
    "Candidate",
    "Geometry",
    "Match",
    "key_of",
    "keys_of",
    "offsets_from_votes",
    "pack_table",
    "probe_keys",
    "rank",
    "scan_offsets",
    "top_candidates",
    "unpack_table",
    "vote",
]

ALIGN_BITS = 14
IMAGE_BITS = 12
MEAN_BITS = 10
MIN_ALIGNED = 2
MIN_FRACTION = 0.5
_OFFSET_BIN_MS = 250
_SLACK_MS = PHASE_MS // 2 + 10
_HOT_KEY = 2000  # a key this common (black frames, fades) says nothing: skip it
_KEY_MASK = (1 << KEY_BITS) - 1

TABLE_DTYPE = np.dtype(
    [
        ("start", "<u4"),
        ("end", "<u4"),
        ("flags", "u1"),
        ("box", "u1", (4,)),
        ("core", "<u8"),
        ("full", "<u8"),
    ]
)
"""A registered manifest's block table as the registry keeps it (29 bytes a block)."""

Table = npt.NDArray[Any]


def pack_table(binding: SoftBinding) -> bytes:
    table = np.zeros(len(binding.blocks), dtype=TABLE_DTYPE)
    for i, b in enumerate(binding.blocks):
        table[i] = (
            b.start_ms or 0,
            b.end_ms or 0,
            1 if b.value.flat else 0,
            b.value.box,
            b.value.core,
            b.value.full,
        )
    return table.tobytes()


def unpack_table(data: bytes) -> Table:
    return np.frombuffer(data, dtype=TABLE_DTYPE)


def key_of(core: int) -> int:
    return core & _KEY_MASK


def keys_of(binding: SoftBinding) -> list[tuple[int, int]]:
    """(key, signed second) for every block worth indexing: whole seconds (or the still),
    not flat."""
    out = []
    for b in binding.blocks:
        if b.value.flat:
            continue
        if b.start_ms is None:
            out.append((key_of(b.value.core), 0))
        elif b.end_ms is not None and b.end_ms - b.start_ms == BLOCK_MS:
            out.append((key_of(b.value.core), b.start_ms // 1000))
    return out


def probe_keys(query: Query, *, flips: int, budget: int = 6000) -> dict[int, list[int]]:
    """Index keys to look up, each with the probes (window indices) that asked for it.
    Every window's own key comes first; flipped variants are added while within budget."""
    keys: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(query.probes):
        keys[key_of(p.core)].append(i)
    for f in range(1, flips + 1):
        for i, p in enumerate(query.probes):
            base = key_of(p.core)
            for combo in itertools.combinations(p.weak, f):
                if len(keys) >= budget:
                    return keys
                k = base
                for bit in combo:
                    k ^= 1 << bit
                keys[k].append(i)
    return keys


@dataclass(frozen=True)
class Candidate:
    """A registered manifest as the lookup needs it."""

    pk: int
    manifest_id: str
    kind: str
    title: str | None
    signer: str | None
    registered: int  # registration order
    table: Table


@dataclass(frozen=True)
class Geometry:
    """Where the signed picture lies in the checked one (pixels of the checked file): its
    content box under the crop hypothesis that aligned best."""

    hypothesis: Hypothesis
    signed_box: tuple[float, float, float, float]  # x, y, w, h in checked pixels

    def to_dict(self) -> dict[str, Any]:
        return {
            "zoom": self.hypothesis.zoom,
            "shift": [self.hypothesis.dx, self.hypothesis.dy],
            "signed_box": [round(v, 1) for v in self.signed_box],
        }


@dataclass(frozen=True)
class Match:
    """A registered manifest whose fingerprint the checked file's aligns with."""

    manifest_id: str
    similarity: int  # 0-100
    title: str | None
    signer: str | None
    kind: str
    signed_range: tuple[float, float] | None  # seconds of the signed video
    checked_range: tuple[float, float] | None  # seconds of the checked file
    aligned_blocks: int
    compared_blocks: int
    geometry: Geometry
    registered: int = 0

    def to_dict(self) -> dict[str, Any]:
        def rng(r: tuple[float, float] | None) -> list[float] | None:
            return [round(r[0], 3), round(r[1], 3)] if r else None

        return {
            "manifest_id": self.manifest_id,
            "similarity": self.similarity,
            "title": self.title,
            "signer": self.signer,
            "kind": self.kind,
            "signed_range": rng(self.signed_range),
            "checked_range": rng(self.checked_range),
            "aligned_blocks": self.aligned_blocks,
            "compared_blocks": self.compared_blocks,
            "geometry": self.geometry.to_dict(),
        }


def _popcount(a: npt.NDArray[np.uint64], b: int) -> npt.NDArray[np.uint8]:
    return np.bitwise_count(np.bitwise_xor(a, np.uint64(b)))


def vote(
    query: Query, keys: Mapping[int, Sequence[int]], hits: Iterable[tuple[int, int, int]]
) -> dict[tuple[int, int], set[int]]:
    """Offsets each hit implies: {(manifest pk, offset bin): {offsets in ms}}."""
    by_key: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, pk, second in hits:
        by_key[key].append((pk, second))
    votes: dict[tuple[int, int], set[int]] = defaultdict(set)
    for key, rows in by_key.items():
        if len(rows) > _HOT_KEY:
            continue
        starts = {query.probes[i].start_ms for i in keys.get(key, ())}
        for pk, second in rows:
            for s in starts:
                offset = second * 1000 - s
                votes[(pk, round(offset / _OFFSET_BIN_MS))].add(offset)
    return votes


def top_candidates(votes: Mapping[tuple[int, int], set[int]], limit: int = 32) -> list[int]:
    """Manifests to align, most voted first."""
    ranked = sorted(votes.items(), key=lambda kv: -len(kv[1]))
    out: list[int] = []
    for (pk, _), _offsets in ranked:
        if pk not in out:
            out.append(pk)
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True)
class _Alignment:
    aligned: int
    compared: int
    mean_aligned: float
    mean_all: float
    offset: int
    hyp: int
    first: int  # indices into the table of the first and last aligned block
    last: int


def _align_video(query: Query, table: Table, offsets: Iterable[int]) -> _Alignment | None:
    usable = (table["flags"] == 0) & (table["end"] - table["start"] == BLOCK_MS)
    rows = np.nonzero(usable)[0]
    if rows.size == 0:
        return None
    starts = table["start"][rows].astype(np.int64)
    cores = table["core"][rows]
    best: _Alignment | None = None
    by_hyp: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p in query.probes:
        by_hyp[p.hyp].append((p.start_ms, p.core))
    for hyp, items in by_hyp.items():
        items.sort()
        q_start = np.array([s for s, _ in items], dtype=np.int64)
        q_core = np.array([c for _, c in items], dtype=np.uint64)
        for offset in offsets:
            want = starts - offset  # where each signed block would start in the query
            j = np.clip(np.searchsorted(q_start, want), 1, len(q_start) - 1)
            left = np.where(np.abs(q_start[j - 1] - want) <= np.abs(q_start[j] - want), j - 1, j)
            if len(q_start) == 1:
                left = np.zeros_like(want)
            near = np.abs(q_start[left] - want) <= _SLACK_MS
            if not near.any():
                continue
            d = np.bitwise_count(np.bitwise_xor(cores[near], q_core[left[near]])).astype(int)
            ok = d <= ALIGN_BITS
            aligned = int(ok.sum())
            cand = _Alignment(
                aligned=aligned,
                compared=int(near.sum()),
                mean_aligned=float(d[ok].mean()) if aligned else 64.0,
                mean_all=float(d.mean()),
                offset=int(offset),
                hyp=hyp,
                first=int(rows[near][ok][0]) if aligned else -1,
                last=int(rows[near][ok][-1]) if aligned else -1,
            )
            if best is None or (cand.aligned, -cand.mean_all) > (best.aligned, -best.mean_all):
                best = cand
    return best


def _align_image(query: Query, table: Table) -> _Alignment | None:
    if table.size != 1 or table["flags"][0]:
        return None
    core = int(table["core"][0])
    best = min(query.probes, key=lambda p: int(_popcount(np.array([core], np.uint64), p.core)[0]))
    d = int(_popcount(np.array([core], np.uint64), best.core)[0])
    ok = d <= IMAGE_BITS
    return _Alignment(int(ok), 1, float(d), float(d), 0, best.hyp, 0 if ok else -1, 0)


def _geometry(query: Query, hyp: int, signed_box: Sequence[int]) -> Geometry:
    """The signed picture's frame in checked pixels: the checked content box, moved and
    scaled by the hypothesis, stands for the signed content box."""
    from .fingerprint import SIZE

    h = HYPOTHESES[hyp]
    sx, sy = query.width / SIZE, query.height / SIZE
    x0, y0, x1, y1 = query.box
    w, hh = (x1 - x0) * h.zoom, (y1 - y0) * h.zoom
    cx, cy = (x0 + x1) / 2 + h.dx * (x1 - x0), (y0 + y1) / 2 + h.dy * (y1 - y0)
    # the signed content box covers signed_box of the signed frame: extend to the frame
    bx0, by0, bx1, by1 = signed_box
    fw, fh = w * SIZE / max(1, bx1 - bx0), hh * SIZE / max(1, by1 - by0)
    fx = cx - w / 2 - bx0 / SIZE * fw
    fy = cy - hh / 2 - by0 / SIZE * fh
    return Geometry(h, (fx * sx, fy * sy, fw * sx, fh * sy))


def offsets_from_votes(votes: Mapping[tuple[int, int], set[int]]) -> dict[int, set[int]]:
    offsets: dict[int, set[int]] = defaultdict(set)
    for (pk, _), offs in votes.items():
        offsets[pk] |= offs
    return offsets


def scan_offsets(query: Query, table: Table) -> set[int]:
    """Offsets at which some query window is within `ALIGN_BITS` of some signed block:
    what the votes say when there was no index to vote (a manifest fetched over HTTP)."""
    usable = table[(table["flags"] == 0) & (table["end"] - table["start"] == BLOCK_MS)]
    if usable.size == 0 or query.kind != "video":
        return {0}
    q_core = np.array([p.core for p in query.probes], dtype=np.uint64)
    q_start = np.array([p.start_ms for p in query.probes], dtype=np.int64)
    d = np.bitwise_count(np.bitwise_xor(q_core[:, None], usable["core"][None, :]))
    qi, bi = np.nonzero(d <= ALIGN_BITS)
    return {int(v) for v in usable["start"][bi].astype(np.int64) - q_start[qi]}


def rank(
    query: Query,
    candidates: Sequence[Candidate],
    offsets: Mapping[int, set[int]],
    max_results: int,
) -> list[Match]:
    """Apply the anti-spoofing rule to each candidate and rank the matches."""
    matches = []
    for c in candidates:
        if c.kind != query.kind:
            continue
        if query.kind == "image":
            a = _align_image(query, c.table)
            ok = a is not None and a.aligned == 1
        else:
            a = _align_video(query, c.table, sorted(offsets.get(c.pk, ())))
            ok = (
                a is not None
                and a.aligned >= MIN_ALIGNED
                and a.aligned >= MIN_FRACTION * a.compared
                and a.mean_aligned <= MEAN_BITS
            )
        if not ok or a is None:
            continue
        matches.append(_match(query, c, a))
    matches.sort(key=lambda m: (-m.similarity, -m.aligned_blocks, m.registered))
    return matches[:max_results]


def _match(query: Query, c: Candidate, a: _Alignment) -> Match:
    similarity = int(round(100 * max(0.0, 1.0 - a.mean_all / 32.0)))
    first = c.table[max(a.first, 0)]
    geometry = _geometry(query, a.hyp, [int(v) for v in first["box"]])
    signed = checked = None
    if query.kind == "video":
        # checked time t shows signed time t + offset: the overlap of both timelines
        signed_end = int(c.table["end"].max())
        lo = max(0, -a.offset)
        hi = min(query.duration_ms, signed_end - a.offset)
        if hi <= lo:  # no duration known: what was aligned
            lo = int(first["start"]) - a.offset
            hi = int(c.table[a.last]["end"]) - a.offset
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
        geometry=geometry,
        registered=c.registered,
    )
