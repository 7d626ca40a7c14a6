"""Align a checked video's frames to the signed frame list and classify every frame.

Alignment, in three passes so that memory stays linear in the number of frames:

1. anchors: frames whose exact hash is unique in both lists; a longest increasing
   subsequence keeps a monotonic chain of them (reordered or repeated frames drop out);
2. inside every gap between anchors, the same with the DCT hash (unique within the gap and
   a small regional distance), which re-anchors a fully re-encoded file;
3. the remaining gaps are aligned by a banded Needleman-Wunsch on perceptual distance, with a
   band of |len difference| + BAND_MARGIN around the gap's diagonal.

Each aligned pair is then ``intact`` (exact hash equal), ``reencoded`` (within the calibrated
thresholds) or ``edited`` (changed cells are reported as pixel rectangles); unaligned checked
frames are ``inserted``, unaligned signed frames ``missing``.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from provenance.frames.features import GRID
from provenance.frames.fingerprint import ProgressCallback, VideoFingerprint, fingerprint_video
from provenance.models import FrameReport, Segment

# --- thresholds -------------------------------------------------------------------------------
# Calibrated with benchmarks/frames_calibration.py: 3 synthetic clips (320x240, 640x360,
# 480x272; drifting texture, moving shapes, grain), a CRF 16 master re-encoded at CRF
# 18/23/28/35 and at 0.75x scale (CRF 23 and 35) = 2160 re-encoded frames, against 18 edits
# (1/16 and 1/9 of the frame replaced with other content or box-blurred over 40 frames, CRF 23)
# = 720 edited frames. Per-frame maxima over cells, re-encodes vs edits:
#   cell luma diff          re-encodes p99 4, max 6      edits p99 51
#   cell detail residual    re-encodes p99 17.4, max 23.5 (after the 3-frame median)
#                           edits p50 25, p99 46
#   whole-frame detail      re-encodes max 39            edits max 3
#   DCT Hamming             re-encodes max 8             edits max 18
# Sweep (luma 8): detail > 20 -> 1 re-encoded frame (320x240 CRF 35 at 0.75x) wrongly
# edited, 98.3% of edited frames found; detail > 21 -> 0 wrong, 95.8% found, mean segment IoU
# 0.64 (per frame 0.54). The misses are 1/16-area blurs (radius 6 px at 480x272), where the
# blur is close to what CRF 35 at 0.75x does to texture.
CELL_LUMA_THRESHOLD = 8
"""A cell is changed if its mean luminance moved by more than this (0-255 scale)."""
CELL_DETAIL_THRESHOLD = 21
"""...or its log-detail byte moved by more than this beyond what the frame-wide trend
predicts (21/28 of an octave: texture energy x0.6 or x1.7 relative to the rest of the frame)."""
GLOBAL_DETAIL_THRESHOLD = 56
"""A whole-frame texture change of 4x (2 octaves; re-encodes reached 39) is a visual edit."""
STRONG_SCORE = 2.0
"""A cell score this far over threshold flags the frame without temporal support."""
REFINE_FRACTION = 0.5
"""How far a weak border row/column of a changed group is pulled in (see _cells_to_rects);
0 / 0.5 / 1.0 gave mean segment IoU 0.59 / 0.64 / 0.67 but 1.0 over-shrinks stills."""
SUPPORT_SCORE = 0.6
"""Neighbour score needed to keep an over-threshold cell (see _spatial_support); it took
false edited frames on re-encodes from 5 to 0 at unchanged thresholds."""
DCT_HAMMING_THRESHOLD = 18
"""Whole-frame perceptual change: DCT hashes differing in more than this many of 64 bits
(re-encodes: max 8)."""

# --- alignment parameters ---------------------------------------------------------------------
GAP_COST = 0.45
"""Cost of one inserted or missing frame; pairs costing more than 2*GAP_COST become gaps."""
BAND_MARGIN = 32
"""Extra band half-width beyond the length difference of a gap, in frames."""
_ANCHOR_MAX_COST = 0.15  # DCT-hash anchors must also look alike region by region
_DIAGONAL_OK = GAP_COST  # equal-length gap whose diagonal is all cheap: take it, skip the DP
_DP_DIRECT_CELLS = 20_000_000  # below this a gap goes straight to the banded DP
_MAX_DP_CELLS = 400_000_000  # 400 MB of traceback; beyond that split the gap
_CLASSIFY_CHUNK = 8192  # frames classified per batch (bounds temporaries)

STATUSES = ("intact", "reencoded", "edited", "inserted", "missing")
_INTACT, _REENCODED, _EDITED, _INSERTED, _MISSING = range(5)

Rect = tuple[int, int, int, int]


# --- distances --------------------------------------------------------------------------------


def _hamming(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    return np.bitwise_count(np.bitwise_xor(a, b))


def _pair_cost(
    s: VideoFingerprint, c: VideoFingerprint, si: npt.NDArray[np.intp], cj: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """Alignment cost in [0, 1]: ~0.02 for re-encodes, ~0.2 for local edits, ~1 unrelated."""
    ham = _hamming(s.dct[si], c.dct[cj]).astype(np.float64) / 64.0
    mad = np.abs(s.luma[si].astype(np.int16) - c.luma[cj].astype(np.int16)).mean(axis=-1)
    # unrelated frames: ~half the DCT bits differ (>= 20 of 64 measured) and the luma grid
    # moves by >= 16 levels on average even between scenes of the same texture statistics
    cost: npt.NDArray[np.float64] = 0.5 * np.minimum(1.0, ham / 0.25) + 0.5 * np.minimum(
        1.0, mad / 16.0
    )
    return cost


def cell_scores(
    s_luma: npt.NDArray[np.uint8],
    s_detail: npt.NDArray[np.uint8],
    c_luma: npt.NDArray[np.uint8],
    c_detail: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per-pair cell change scores (K, 64), > 1 means over a threshold, and a whole-frame
    texture-change flag (K,)."""
    dl = np.abs(s_luma.astype(np.int16) - c_luma.astype(np.int16))
    dd = c_detail.astype(np.int16) - s_detail.astype(np.int16)
    # re-encoding and rescaling shift texture energy of the whole frame together; only a
    # local deviation from the frame's median shift points at an edit
    med = np.median(dd, axis=-1, keepdims=True)
    dev = _detail_residual(s_detail.astype(np.float64), dd.astype(np.float64))
    score = np.maximum(dl / CELL_LUMA_THRESHOLD, np.abs(dev) / CELL_DETAIL_THRESHOLD)
    return score, np.abs(med[..., 0]) > GLOBAL_DETAIL_THRESHOLD


def _detail_residual(
    s_detail: npt.NDArray[np.float64], dd: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Detail change of each cell minus what the frame-wide trend predicts for it.

    Compression strips more texture from smooth cells than from busy ones, so the expected
    change is a per-frame linear function of the signed cell detail; it is fitted twice, the
    second time without the cells the first fit could not explain (the edit itself).
    """
    w = np.ones_like(dd)
    resid = dd
    for _ in range(2):
        sw = w.sum(axis=-1, keepdims=True)
        mx = (w * s_detail).sum(axis=-1, keepdims=True) / sw
        my = (w * dd).sum(axis=-1, keepdims=True) / sw
        vx = (w * (s_detail - mx) ** 2).sum(axis=-1, keepdims=True)
        cov = (w * (s_detail - mx) * (dd - my)).sum(axis=-1, keepdims=True)
        slope = np.where(vx > 1e-6, cov / np.maximum(vx, 1e-6), 0.0)
        resid = dd - (my + slope * (s_detail - mx))
        w = (np.abs(resid) <= CELL_DETAIL_THRESHOLD / 2).astype(np.float64)
        w[w.sum(axis=-1) < 8] = 1.0  # too few inliers: keep the plain fit
    return resid


def _temporal_filter(score: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Median over each frame and its two aligned neighbours, per cell.

    Re-encoding noise in a cell is sporadic while an edit persists over frames, so an
    over-threshold score must repeat in 2 of 3 consecutive frames; a score above
    STRONG_SCORE counts on its own (a one-frame edit is still caught if it is blatant).
    """
    if score.shape[0] < 3:
        return score
    padded = np.concatenate([score[:1], score, score[-1:]])
    stacked = np.stack([padded[:-2], padded[1:-1], padded[2:]])
    med = np.median(stacked, axis=0)
    return np.where(score > STRONG_SCORE, score, med)


def _spatial_support(score: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Drop over-threshold cells that no neighbouring cell supports.

    An edit of 1/16 of the frame or more spans several cells, so at least one of the 8
    neighbours also moves noticeably (score >= SUPPORT_SCORE); codec noise peaks in
    isolated cells. Scores above STRONG_SCORE stand on their own.
    """
    grid = score.reshape(-1, GRID, GRID)
    padded = np.pad(grid, ((0, 0), (1, 1), (1, 1)))
    neigh = np.zeros_like(grid)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                shifted = padded[:, 1 + dr : 1 + dr + GRID, 1 + dc : 1 + dc + GRID]
                neigh = np.maximum(neigh, shifted)
    keep = (neigh >= SUPPORT_SCORE) | (grid > STRONG_SCORE)
    return np.where(keep, grid, np.minimum(grid, 1.0)).reshape(score.shape)


# --- alignment --------------------------------------------------------------------------------


def _lis(seq: Sequence[int]) -> list[int]:
    """Positions of one longest strictly increasing subsequence of seq."""
    tails: list[int] = []
    tail_pos: list[int] = []
    prev = [-1] * len(seq)
    for pos, v in enumerate(seq):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_pos.append(pos)
        else:
            tails[k] = v
            tail_pos[k] = pos
        prev[pos] = tail_pos[k - 1] if k else -1
    out: list[int] = []
    p = tail_pos[-1] if tail_pos else -1
    while p >= 0:
        out.append(p)
        p = prev[p]
    return out[::-1]


def _unique_pairs(
    keys_s: Sequence[bytes | int], keys_c: Sequence[bytes | int], chain: bool = True
) -> list[tuple[int, int]]:
    """(i, j) for keys occurring exactly once in each list, as a monotonic chain (or all of
    them, sorted, if chain is False)."""
    first_s: dict[bytes | int, int] = {}
    dup_s: set[bytes | int] = set()
    for i, k in enumerate(keys_s):
        if k in first_s:
            dup_s.add(k)
        else:
            first_s[k] = i
    first_c: dict[bytes | int, int] = {}
    dup_c: set[bytes | int] = set()
    for j, k in enumerate(keys_c):
        if k in first_c:
            dup_c.add(k)
        else:
            first_c[k] = j
    pairs = sorted(
        (first_s[k], j)
        for k, j in first_c.items()
        if k in first_s and k not in dup_s
        if k not in dup_c
    )
    if not chain:
        return pairs
    return [pairs[p] for p in _lis([j for _, j in pairs])]


def _banded_dp(
    s: VideoFingerprint, c: VideoFingerprint, a: int, n: int, b: int, m: int
) -> list[tuple[int, int]]:
    """Needleman-Wunsch on S[a:a+n] vs C[b:b+m] within a diagonal band.

    Rows are vectorised: the left-move recurrence H[j] = min(T[j], H[j-1] + g) is a running
    minimum of T[k] - k*g, so each row costs a handful of numpy calls.
    """
    g = GAP_COST
    width = abs(n - m) + BAND_MARGIN
    lo = np.array([max(0, (i * m) // n - width) for i in range(n + 1)], dtype=np.int64)
    hi = np.array([min(m, (i * m) // n + width) for i in range(n + 1)], dtype=np.int64)
    lo[0] = 0
    hi[n] = m
    ptrs: list[npt.NDArray[np.uint8]] = []
    prev = np.arange(hi[0] + 1, dtype=np.float64) * g
    ptrs.append(np.full(hi[0] + 1, 2, dtype=np.uint8))
    inf = np.inf
    for i in range(1, n + 1):
        l0, h0 = int(lo[i - 1]), int(hi[i - 1])
        l1, h1 = int(lo[i]), int(hi[i])
        js = np.arange(l1, h1 + 1)
        up = np.full(js.size, inf)
        ok = (js >= l0) & (js <= h0)
        up[ok] = prev[js[ok] - l0] + g
        diag = np.full(js.size, inf)
        dj = js - 1
        okd = (dj >= l0) & (dj <= h0) & (js >= 1)
        if okd.any():
            cj = dj[okd]
            cost = _pair_cost(s, c, np.full(cj.size, a + i - 1), b + cj)
            diag[okd] = prev[cj - l0] + cost
        t = np.minimum(diag, up)
        ptr = np.where(diag <= up, 0, 1).astype(np.uint8)
        k = np.arange(js.size) * g
        h = np.minimum.accumulate(t - k) + k
        ptr[h < t - 1e-9] = 2
        ptrs.append(ptr)
        prev = h
    out: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        p = ptrs[i][j - lo[i]] if i > 0 else 2
        if p == 0:
            out.append((a + i - 1, b + j - 1))
            i -= 1
            j -= 1
        elif p == 1:
            out.append((a + i - 1, -1))
            i -= 1
        else:
            out.append((-1, b + j - 1))
            j -= 1
    out.reverse()
    return out


def _align_gap(
    s: VideoFingerprint, c: VideoFingerprint, a: int, n: int, b: int, m: int
) -> list[tuple[int, int]]:
    if n == 0:
        return [(-1, b + j) for j in range(m)]
    if m == 0:
        return [(a + i, -1) for i in range(n)]
    if n == m:
        si = np.arange(a, a + n)
        cj = np.arange(b, b + m)
        if bool((_pair_cost(s, c, si, cj) < _DIAGONAL_OK).all()):
            return list(zip(si.tolist(), cj.tolist(), strict=True))
    if n * (abs(n - m) + 2 * BAND_MARGIN + 1) > _MAX_DP_CELLS:
        # too large for one band: split in the middle of both sides and align halves
        hn, hm = n // 2, m // 2
        return _align_gap(s, c, a, hn, b, hm) + _align_gap(s, c, a + hn, n - hn, b + hm, m - hm)
    return _banded_dp(s, c, a, n, b, m)


def _dct_anchors(
    s: VideoFingerprint, c: VideoFingerprint, a: int, n: int, b: int, m: int
) -> list[tuple[int, int]]:
    ds, dc = s.dct[a : a + n], c.dct[b : b + m]
    found = set(_unique_pairs(ds.tolist(), dc.tolist(), chain=False))
    # multi-index hashing: hashes within 3 bits of each other agree exactly on at least one
    # 16-bit quarter, so heavily re-encoded frames (no exact DCT match) still anchor
    for shift in (0, 16, 32, 48):
        qs = ((ds >> np.uint64(shift)) & np.uint64(0xFFFF)).tolist()
        qc = ((dc >> np.uint64(shift)) & np.uint64(0xFFFF)).tolist()
        found.update(_unique_pairs(qs, qc, chain=False))
    if not found:
        return []
    pairs = sorted(found)
    si = np.array([a + i for i, _ in pairs])
    cj = np.array([b + j for _, j in pairs])
    cost = _pair_cost(s, c, si, cj)
    good = cost < _ANCHOR_MAX_COST
    # slow motion makes neighbouring frames share a DCT hash: keep only pairs that match
    # better than every one-frame shift, or a shifted anchor would misalign the gap
    for di, dj in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        ni, nj = si + di, cj + dj
        ok = (ni >= a) & (ni < a + n) & (nj >= b) & (nj < b + m)
        shifted = np.full(si.size, np.inf)
        if ok.any():
            shifted[ok] = _pair_cost(s, c, ni[ok], nj[ok])
        good &= cost < shifted
    kept = [(int(x), int(y)) for x, y, ok in zip(si, cj, good, strict=True) if ok]
    # one partner per signed frame: order equal i by descending j so the strictly
    # increasing chain can take at most one of them
    kept.sort(key=lambda p: (p[0], -p[1]))
    return [kept[k] for k in _lis([j for _, j in kept])]


def _between(
    s: VideoFingerprint,
    c: VideoFingerprint,
    anchors: list[tuple[int, int]],
    a: int,
    a_end: int,
    b: int,
    b_end: int,
    inner: bool,
) -> list[tuple[int, int]]:
    """Align S[a:a_end] vs C[b:b_end] around the given anchors (strictly inside the box)."""
    out: list[tuple[int, int]] = []
    pi, pj = a, b
    for i, j in [*anchors, (a_end, b_end)]:
        n, m = i - pi, j - pj
        # the DP finds the global optimum; DCT anchors (which can pick a neighbouring frame
        # in slow motion) only split gaps too large for one band
        if inner and n > 0 and m > 0 and n * (abs(n - m) + 2 * BAND_MARGIN) > _DP_DIRECT_CELLS:
            sub = _dct_anchors(s, c, pi, n, pj, m)
            out += _between(s, c, sub, pi, i, pj, j, inner=False)
        else:
            out += _align_gap(s, c, pi, n, pj, m)
        if i < a_end:
            out.append((i, j))
        pi, pj = i + 1, j + 1
    return out


def align(s: VideoFingerprint, c: VideoFingerprint) -> list[tuple[int, int]]:
    """Monotonic alignment as (signed index or -1, checked index or -1) in order."""
    anchors = _unique_pairs(_rows(s.exact), _rows(c.exact))
    return _between(s, c, anchors, 0, s.frame_count, 0, c.frame_count, inner=True)


def _rows(a: npt.NDArray[np.uint8]) -> list[bytes]:
    raw = a.tobytes()
    w = a.shape[1]
    return [raw[k : k + w] for k in range(0, len(raw), w)]


# --- classification and segments --------------------------------------------------------------


def _cells_to_rects(score: npt.NDArray[np.floating[Any]], width: int, height: int) -> list[Rect]:
    """Rectangles (pixels) around 8-connected groups of changed cells (score > 1).

    An edit rarely lines up with the grid; a border column/row of a group whose score is
    only a fraction of the group's peak is mostly uncovered, so that side is pulled in by
    the missing fraction (calibration: raises mean IoU for unaligned 1/16 rectangles).
    """
    grid = score.reshape(GRID, GRID)
    changed = grid > 1.0
    seen = np.zeros_like(changed)
    cw, ch = width / GRID, height / GRID
    rects: list[Rect] = []
    for r0 in range(GRID):
        for c0 in range(GRID):
            if not changed[r0, c0] or seen[r0, c0]:
                continue
            stack = [(r0, c0)]
            seen[r0, c0] = True
            comp = np.zeros_like(changed)
            while stack:
                r, c = stack.pop()
                comp[r, c] = True
                for dr in (-1, 0, 1):
                    for dc in (-1, 0, 1):
                        rr, cc = r + dr, c + dc
                        if 0 <= rr < GRID and 0 <= cc < GRID and changed[rr, cc]:
                            if not seen[rr, cc]:
                                seen[rr, cc] = True
                                stack.append((rr, cc))
            rows = np.flatnonzero(comp.any(axis=1))
            cols = np.flatnonzero(comp.any(axis=0))
            peak = float(grid[comp].max())
            x0, x1 = cols[0] * cw, (cols[-1] + 1) * cw
            y0, y1 = rows[0] * ch, (rows[-1] + 1) * ch

            def cover(line: npt.NDArray[np.floating[Any]], peak: float = peak) -> float:
                # content contrast also varies across cells, so trust only part of the ratio
                return 1.0 - REFINE_FRACTION * (1.0 - min(1.0, float(line.max()) / peak))

            if cols.size > 1:
                x0 += (1 - cover(grid[:, cols[0]][comp[:, cols[0]]])) * cw
                x1 -= (1 - cover(grid[:, cols[-1]][comp[:, cols[-1]]])) * cw
            if rows.size > 1:
                y0 += (1 - cover(grid[rows[0]][comp[rows[0]]])) * ch
                y1 -= (1 - cover(grid[rows[-1]][comp[rows[-1]]])) * ch
            xi, yi = int(round(x0)), int(round(y0))
            rects.append((xi, yi, int(round(x1)) - xi, int(round(y1)) - yi))
    return rects


def _classify(
    s: VideoFingerprint, c: VideoFingerprint, pairs: list[tuple[int, int]]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Status per alignment step, plus cell scores (K, 64) of edited steps (0 elsewhere)."""
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    si, cj = arr[:, 0], arr[:, 1]
    status = np.full(len(pairs), _INSERTED, dtype=np.int8)
    status[cj < 0] = _MISSING
    scores = np.zeros((len(pairs), GRID * GRID), dtype=np.float32)
    both = np.flatnonzero((si >= 0) & (cj >= 0))
    # chunks bound the float64 temporaries (~10 arrays of chunk x 64) for hour-long videos;
    # one frame of overlap on each side keeps the temporal median exact at chunk borders
    for start in range(0, both.size, _CLASSIFY_CHUNK):
        stop = min(both.size, start + _CLASSIFY_CHUNK)
        lo, hi = max(0, start - 1), min(both.size, stop + 1)
        i, j = si[both[lo:hi]], cj[both[lo:hi]]
        raw, global_change = cell_scores(s.luma[i], s.detail[i], c.luma[j], c.detail[j])
        inner = slice(start - lo, start - lo + stop - start)
        score = _spatial_support(_temporal_filter(raw)[inner])
        i, j, global_change = i[inner], j[inner], global_change[inner]
        exact = (s.exact[i] == c.exact[j]).all(axis=1)
        cells = (score > 1.0).any(axis=1)
        ham = _hamming(s.dct[i], c.dct[j])
        whole = ((ham > DCT_HAMMING_THRESHOLD) | global_change) & ~cells
        # a whole-frame change with no single cell over threshold outlines the full frame
        score[whole] = 1.5
        edited = ~exact & (cells | whole)
        st = np.where(exact, _INTACT, np.where(edited, _EDITED, _REENCODED)).astype(np.int8)
        status[both[start:stop]] = st
        score[~edited] = 0.0
        scores[both[start:stop]] = score
    return status, scores


def _segments(
    s: VideoFingerprint,
    c: VideoFingerprint,
    pairs: list[tuple[int, int]],
    status: npt.NDArray[np.int8],
    scores: npt.NDArray[np.float32],
) -> list[Segment]:
    s_times = s.timestamps()
    c_times = c.timestamps()
    s_step = float(1 / s.frame_rate) if s.frame_rate else 0.0
    c_step = float(1 / c.frame_rate) if c.frame_rate else 0.0
    segments: list[Segment] = []
    start = 0
    k_total = len(pairs)
    for k in range(1, k_total + 1):
        if k < k_total and status[k] == status[k - 1]:
            pi, pj = pairs[k - 1]
            i, j = pairs[k]
            if (i < 0 or i == pi + 1) and (j < 0 or j == pj + 1):
                continue
        first, last = pairs[start], pairs[k - 1]
        st = int(status[start])
        signed_range = (first[0], last[0]) if first[0] >= 0 else None
        checked_range = (first[1], last[1]) if first[1] >= 0 else None
        if checked_range is not None:
            t0 = float(c_times[checked_range[0]])
            t1 = float(c_times[checked_range[1]]) + c_step
        else:
            assert signed_range is not None
            t0 = float(s_times[signed_range[0]])
            t1 = float(s_times[signed_range[1]]) + s_step
        regions: list[Rect] = []
        if st == _EDITED:
            regions = _cells_to_rects(scores[start:k].max(axis=0), c.width, c.height)
        segments.append(Segment(STATUSES[st], checked_range, signed_range, t0, t1, regions))
        start = k
    return segments


def _tidy_gaps(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Within each run of unmatched steps, list missing frames before inserted ones.

    The DP may interleave them arbitrarily; grouping keeps one segment per status.
    """
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for p in [*pairs, (0, 0)]:
        if p[0] < 0 or p[1] < 0:
            run.append(p)
            continue
        out += [q for q in run if q[1] < 0] + [q for q in run if q[0] < 0]
        run = []
        out.append(p)
    return out[:-1]


def compare_fingerprints(signed: VideoFingerprint, checked: VideoFingerprint) -> FrameReport:
    """Align and classify two fingerprints (see module docstring)."""
    pairs = _tidy_gaps(align(signed, checked))
    status, scores = _classify(signed, checked, pairs)
    counts = np.bincount(status.astype(np.int64), minlength=len(STATUSES)) if pairs else None
    summary = {name: int(counts[k]) if counts is not None else 0 for k, name in enumerate(STATUSES)}
    return FrameReport(
        signed_frame_count=signed.frame_count,
        checked_frame_count=checked.frame_count,
        summary=summary,
        segments=_segments(signed, checked, pairs, status, scores) if pairs else [],
    )


def compare_video(
    signed: VideoFingerprint, checked_path: str | Path, progress: ProgressCallback | None = None
) -> FrameReport:
    """Fingerprint the checked file (streaming) and compare it with the signed fingerprint."""
    checked = fingerprint_video(checked_path, progress=progress)
    return compare_fingerprints(signed, checked)


__all__ = [
    "BAND_MARGIN",
    "CELL_DETAIL_THRESHOLD",
    "CELL_LUMA_THRESHOLD",
    "DCT_HAMMING_THRESHOLD",
    "GAP_COST",
    "GLOBAL_DETAIL_THRESHOLD",
    "STATUSES",
    "FrameReport",
    "Segment",
    "align",
    "cell_scores",
    "compare_fingerprints",
    "compare_video",
]
