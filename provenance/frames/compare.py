"""Align a checked video's frames to the signed frame list and classify every frame.

Alignment, in three passes so that memory stays linear in the number of frames:

1. anchors: frames whose exact hash is unique in both lists; a longest increasing
   subsequence keeps a monotonic chain of them (reordered or repeated frames drop out);
2. inside every gap between anchors, the same with the DCT hash (unique within the gap and
   a small regional distance), which re-anchors a fully re-encoded file;
3. the remaining gaps are aligned by a banded Needleman-Wunsch on perceptual distance, with a
   band of |len difference| + BAND_MARGIN around the gap's diagonal.

Then the first and last frames of an edit, which the alignment may leave unmatched, are
paired again (``_pair_edited_runs``), and a uniform frame-rate conversion is re-paired by
presentation time, its dropped and repeated frames explained (``_explain_retiming``).

Each aligned pair is then ``intact`` (exact hash equal), ``reencoded`` (within the calibrated
thresholds) or ``edited``: per frame on the coarse grid, per group of frames on the fine grid
(``_classify``), with the changed cells reported as pixel rectangles frame by frame; unaligned
checked frames are ``inserted``, unaligned signed frames ``missing``. docs/localization.md
describes every step and its calibration.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from provenance.frames.features import FINE_COLS, FINE_ROWS, GRID
from provenance.frames.fingerprint import ProgressCallback, fingerprint_video
from provenance.frames.geometry import coarse_hidden, video_window
from provenance.frames.grid import (
    DCT_HAMMING_THRESHOLD,
    STRONG_SCORE,
    Rect,
    cell_scores,
    cells_to_rects,
    fine_scores,
    overlap,
    spatial_support,
)
from provenance.frames.table import GROUP, VideoFingerprint
from provenance.models import FrameRegions, FrameReport, Geometry, Retimed, Segment

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
RELATED_LUMA, RELATED_SHARE = 4, 0.6
"""An unmatched signed and checked frame are the same picture, edited, when at least 60% of
their coarse cells kept their luminance within 4 levels (re-encoding noise: median 1, p99
4); frames of the same shot half a second apart, or unrelated pictures of similar
texture, do not."""
FINE_PAIRED = 0.8
"""Share of the fine threshold at which a cell counts when a neighbouring group agrees (0.6
flagged unedited CRF 35 copies; 0.8 keeps most of the gain for 0.25% faces). Such a cell
needs no neighbouring cell over SUPPORT_SCORE: a face of 0.25% may change one fine cell only
(on the realistic set, no cell of the controls is paired: their highest is 0.69)."""
FINE_MIN_COVERAGE = 0.4
"""A signed group is compared on its fine grid when this share of its frames is matched
(a 60 to 30 fps conversion keeps half) and none is missing."""
EDITED_SHARE, CLEAN_SHARE = 0.7, 0.4
"""Within a changed group, frames carry the edit when they follow the group's mean change
(projection about 1/share of edited frames, at least 1) and not when they stay near 0 on
average (below CLEAN_SHARE, or 30% of the edited frames' level); see _edited_part."""
EDGE_JUMP = 0.5
"""Where an edit starts or ends inside a group, the frames' projection on the group's fine
change jumps by at least this share of the edit's level from one frame to the next (the
whole level, less noise); motion within the group moves it gradually (_edited_part)."""
WIDEN_SCORE = 0.5
"""Next to the frames where the coarse grid sees an edit, a frame carries it too while its
coarse score at the edit's cells stays at this share of the threshold (unedited frames of
the calibration footage: 0.1-0.13; a 2% face on frames the coarse grid misses: 0.75-1)."""

STATUSES = ("intact", "reencoded", "edited", "inserted", "missing")
_INTACT, _REENCODED, _EDITED, _INSERTED, _MISSING = range(5)


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


# --- boundaries and re-timing --------------------------------------------------------------


def _runs(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, stop) of every maximal run of unmatched steps."""
    out: list[tuple[int, int]] = []
    start = -1
    for k, (i, j) in enumerate([*pairs, (0, 0)]):
        if i < 0 or j < 0:
            if start < 0:
                start = k
        elif start >= 0:
            out.append((start, k))
            start = -1
    return out


def _related(s: VideoFingerprint, c: VideoFingerprint, i: int, j: int) -> bool:
    """Whether checked frame j is signed frame i with part of it edited (rather than another
    picture): most coarse cells keep their luminance."""
    dl = np.abs(s.luma[i].astype(np.int16) - c.luma[j].astype(np.int16))
    return bool(np.mean(dl <= RELATED_LUMA) >= RELATED_SHARE)


def _pair_edited_runs(
    s: VideoFingerprint, c: VideoFingerprint, pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Turn missing-plus-inserted frames back into edited pairs where they are the same
    pictures, edited.

    The alignment prefers two gaps to one expensive pair, so the first or last frames of an
    edit can come out as a cut. Inside a run of unmatched steps, signed and checked frames
    are paired in order from the matched side (from the end for a run that opens the video)
    and each pair that shows the same picture becomes a pair again."""
    out = list(pairs)
    for start, stop in reversed(_runs(pairs)):
        run = pairs[start:stop]
        missing = [i for i, j in run if j < 0]
        inserted = [j for i, j in run if i < 0]
        if not missing or not inserted:
            continue
        n = min(len(missing), len(inserted))
        if start == 0 and stop < len(pairs):  # anchored at its end
            missing, inserted = missing[::-1], inserted[::-1]
        matched = {k for k in range(n) if _related(s, c, missing[k], inserted[k])}
        if not matched:
            continue
        rebuilt: list[tuple[int, int]] = []
        for k in range(max(len(missing), len(inserted))):
            if k in matched:
                rebuilt.append((missing[k], inserted[k]))
                continue
            if k < len(missing):
                rebuilt.append((missing[k], -1))
            if k < len(inserted):
                rebuilt.append((-1, inserted[k]))
        if start == 0 and stop < len(pairs):
            rebuilt.reverse()
        out[start:stop] = rebuilt
    return _tidy_gaps(out)


def _retiming(
    s: VideoFingerprint, c: VideoFingerprint, pairs: list[tuple[int, int]]
) -> Retimed | None:
    """A uniform frame-rate change: the nominal rates differ and matched frames keep their
    presentation times (a slowed-down or sped-up copy changes the times, and is not one)."""
    if not (s.frame_rate and c.frame_rate):
        return None
    rs, rc = float(s.frame_rate), float(c.frame_rate)
    if abs(rs / rc - 1.0) < 0.01:
        return None
    matched = np.array([p for p in pairs if p[0] >= 0 and p[1] >= 0], dtype=np.int64)
    if matched.size == 0:
        return None
    offset = c.timestamps()[matched[:, 1]] - s.timestamps()[matched[:, 0]]
    tolerance = 1.0 / min(rs, rc)
    on_time = np.abs(offset - np.median(offset)) <= tolerance
    if on_time.mean() < 0.5:
        return None
    return Retimed(round(rs, 3), round(rc, 3))


def _explain_retiming(
    s: VideoFingerprint, c: VideoFingerprint, pairs: list[tuple[int, int]], tolerance: float
) -> tuple[list[tuple[int, int]], int]:
    """Re-pair a frame-rate conversion by presentation time, and say which signed frames it
    dropped.

    Neighbouring frames look alike, so the alignment alone can pair a checked frame with
    the signed frame next to the one it shows, and bunch up the drops. The matched pairs
    are split into stretches of constant time offset (a cut or an insertion changes it by
    more than 2.5 frame times; shorter ones pass as the conversion's own drops and
    repeats); inside a stretch, every checked frame is paired with the signed frame on
    screen at its time (an unmatched checked frame only if it shows that frame: a
    duplicate). A signed frame no checked frame shows was dropped by the conversion when
    the checked video spends as long between its shown neighbours as the signed one (or
    it lies within one frame time of either end); the rest stay missing, and unrelated
    checked frames inserted.

    Returns the new steps and the number of signed frames dropped."""
    st, ct = s.timestamps(), c.timestamps()
    matched = [(i, j) for i, j in pairs if i >= 0 and j >= 0]
    matched_j = {j: i for i, j in matched}
    offsets = np.array([ct[j] - st[i] for i, j in matched])
    bounds = np.flatnonzero(np.abs(np.diff(offsets)) > 2.5 * tolerance) + 1
    shown: dict[int, int] = {}  # checked -> signed
    floor = 0
    frame = float(1 / s.frame_rate)
    for part in np.split(np.arange(len(matched)), bounds):
        j0, j1 = matched[part[0]][1], matched[part[-1]][1]
        js = np.arange(j0, j1 + 1)
        (i0, _), centre = matched[part[0]], float(np.median(offsets[part]))
        if abs(ct[j0] - ct[0]) <= tolerance and abs(st[i0] - st[0]) <= tolerance:
            offset = ct[0] - st[0]  # both start together: neighbouring frames look too alike
        else:  # to tell which one the alignment paired, so keep whole frames of offset
            offset = round(centre / frame) * frame
        best = _on_screen(st, ct[js] - offset, floor)
        for j, k in zip(js.tolist(), best.tolist(), strict=True):
            if j in matched_j or _related(s, c, k, j):
                shown[j] = k
                floor = k
    # a signed frame nobody shows was dropped when the checked video spends as long between
    # the shown frames around it as the signed one did (else a cut took it)
    by_signed = {i: j for j, i in sorted(shown.items(), reverse=True)}
    order = sorted(by_signed)
    dropped: set[int] = set()
    for i in range(s.frame_count):
        if i in by_signed:
            continue
        k = bisect.bisect_left(order, i)
        if 0 < k < len(order):
            a, b = order[k - 1], order[k]
            ok = abs((ct[by_signed[b]] - ct[by_signed[a]]) - (st[b] - st[a])) <= tolerance
        else:  # before the first or after the last shown frame: within one frame time
            ok = bool(order) and abs(st[i] - st[order[0 if k == 0 else -1]]) <= tolerance
        if ok:
            dropped.add(i)
    signed_shown = set(by_signed)
    out: list[tuple[int, int]] = []
    missing = [i for i in range(s.frame_count) if i not in signed_shown and i not in dropped]
    m = 0
    for j in range(c.frame_count):
        i = shown.get(j, -1)
        while i >= 0 and m < len(missing) and missing[m] < i:
            out.append((missing[m], -1))
            m += 1
        out.append((i, j))
    out += [(i, -1) for i in missing[m:]]
    return _tidy_gaps(out), len(dropped)


def _on_screen(
    st: npt.NDArray[np.float64], times: npt.NDArray[np.float64], floor: int
) -> npt.NDArray[np.intp]:
    """Index of the signed frame nearest to each time (not before `floor`)."""
    k = np.clip(np.searchsorted(st, times), floor, st.size - 1)
    earlier = np.maximum(k - 1, floor)
    closer = np.abs(st[earlier] - times) <= np.abs(st[k] - times)
    out: npt.NDArray[np.intp] = np.where(closer, earlier, k)
    return out


# --- classification and segments --------------------------------------------------------------


@dataclass
class _Classified:
    status: npt.NDArray[np.int8]  # per step
    regions: dict[int, list[Rect]]  # step -> changed rectangles (edited steps only)


def _coarse(
    s: VideoFingerprint, c: VideoFingerprint, si: npt.NDArray[np.int64], cj: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """Per matched step: exact match, coarse edit, and coarse cell scores (K, 64)."""
    k_total = si.size
    exact = np.zeros(k_total, dtype=bool)
    edited = np.zeros(k_total, dtype=bool)
    scores = np.zeros((k_total, GRID * GRID), dtype=np.float32)
    # chunks bound the float64 temporaries (~10 arrays of chunk x 64) for hour-long videos;
    # one frame of overlap on each side keeps the temporal median exact at chunk borders
    for start in range(0, k_total, _CLASSIFY_CHUNK):
        stop = min(k_total, start + _CLASSIFY_CHUNK)
        lo, hi = max(0, start - 1), min(k_total, stop + 1)
        i, j = si[lo:hi], cj[lo:hi]
        luma, detail = c.luma[j], c.detail[j]
        if c.hidden is not None:  # cells a crop took away: compared as unchanged
            hidden = coarse_hidden(c.hidden)
            luma = np.where(hidden, s.luma[i], luma)
            detail = np.where(hidden, s.detail[i], detail)
        raw, global_change = cell_scores(s.luma[i], s.detail[i], luma, detail)
        inner = slice(start - lo, start - lo + stop - start)
        score = spatial_support(_temporal_filter(raw)[inner])
        i, j, global_change = i[inner], j[inner], global_change[inner]
        same = (s.exact[i] == c.exact[j]).all(axis=1)
        cells = (score > 1.0).any(axis=1)
        ham = _hamming(s.dct[i], c.dct[j])
        whole = ((ham > DCT_HAMMING_THRESHOLD) | global_change) & ~cells
        # a whole-frame change with no single cell over threshold outlines the full frame
        score[whole] = 1.5
        exact[start:stop] = same
        edited[start:stop] = ~same & (cells | whole)
        scores[start:stop] = score
    return exact, edited, scores


def _fine_groups(
    s: VideoFingerprint,
    c: VideoFingerprint,
    si: npt.NDArray[np.int64],
    cj: npt.NDArray[np.int64],
    cut: set[int],
    blocks: bool = True,
) -> dict[int, npt.NDArray[np.float64]]:
    """Fine cell scores (32, 64) of every signed group whose frames are all there (`cut`:
    groups with missing frames) or were only thinned out by a frame-rate change: the
    checked frames' fine grids averaged over the frames matched to the group, against the
    signed group's mean. The matched frames must reach both ends of the group, or the
    motion within it would bias the mean. `blocks`: see fine_scores' `pooled`."""
    out: dict[int, npt.NDArray[np.float64]] = {}
    if c.frame_fine is None or si.size == 0:
        return out
    # a frame-rate change may skip this many signed frames at a group's ends
    step = int(np.ceil(float(s.frame_rate / c.frame_rate))) if c.frame_rate else 1
    cell_pixels = c.width * c.height / (FINE_ROWS * FINE_COLS)
    groups = si // GROUP
    bounds = np.flatnonzero(np.diff(groups)) + 1
    for sel in np.split(np.arange(si.size), bounds):
        g = int(groups[sel[0]])
        size = min(GROUP, s.frame_count - g * GROUP)
        first, last = g * GROUP, g * GROUP + size - 1
        ends = int(si[sel].min()) - first, last - int(si[sel].max())
        matched = np.unique(si[sel]).size
        if g in cut or matched < FINE_MIN_COVERAGE * size or max(ends) > step:
            continue  # the matched frames no longer stand for the group's mean
        mean = c.frame_fine[cj[sel]].mean(axis=0, dtype=np.float64)
        if c.hidden is not None:
            mean = np.where(c.hidden, s.fine[g], mean)
        # blocks of cells only where every frame is there: a frame-rate conversion's
        # thinned-out mean carries the motion within the group, which blocks add up
        out[g] = fine_scores(s.fine[g], mean, cell_pixels, pooled=blocks and matched == size)
    # an edit lasts: a cell at FINE_PAIRED of the threshold counts when the same place (give
    # or take a cell) is as high in a neighbouring group; codec noise peaks move around
    near = {g: _dilate(score) for g, score in out.items()}
    empty = np.zeros((FINE_ROWS, FINE_COLS))
    for g, score in out.items():
        around = np.maximum(near.get(g - 1, empty), near.get(g + 1, empty))
        paired = (score > FINE_PAIRED) & (around > FINE_PAIRED)
        boosted = np.where(paired & (score <= 1.0), score / FINE_PAIRED, score)
        # a face of 0.25% of the frame may change one cell only: the neighbouring group
        # supports it where no neighbouring cell does
        out[g] = spatial_support(boosted, FINE_ROWS, FINE_COLS, supported=paired)
    return out


def _dilate(score: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Maximum over each cell's 3x3 neighbourhood."""
    p = np.pad(score, 1)
    rows, cols = score.shape
    out: npt.NDArray[np.float64] = np.max(
        [p[dr : dr + rows, dc : dc + cols] for dr in range(3) for dc in range(3)], axis=0
    )
    return out


def _widen(scores: npt.NDArray[np.float32], a: int, b: int) -> tuple[int, int]:
    """Frames a..b of a group (coarse cell scores `scores`) are where the coarse grid saw
    its edit. A small edit keeps its cells near the threshold, so the coarse grid misses it
    on some frames, its first one included: the edit goes on through the adjacent frames
    whose score at the edit's cells stays at WIDEN_SCORE or more."""
    cells = (scores[a : b + 1] > 1.0).any(axis=0)
    near = scores[:, cells].max(axis=1) >= WIDEN_SCORE
    while a > 0 and near[a - 1]:
        a -= 1
    while b < near.size - 1 and near[b + 1]:
        b += 1
    return a, b


def _edited_part(
    s: VideoFingerprint, c: VideoFingerprint, g: int, score: npt.NDArray[np.float64],
    cj: npt.NDArray[np.int64], from_start: bool, to_end: bool,
) -> npt.NDArray[np.bool_] | None:  # fmt: skip
    """Which of a group's matched frames carry its change, when only some do.

    Over the changed cells, each frame's difference to the signed group mean is projected
    on the group's mean change: the edit is one run of frames that follows that pattern
    (about 1/p for an edit on a share p of the frames) while the other frames stay lower,
    near 0 on average: they only differ by motion within the group, which moves the
    projection gradually. Where the edit starts or ends, the projection jumps by about the
    edit's level from one frame to the next. None when no run of frames fits like that
    (then the whole group counts as edited). An edit that goes on in the previous (next)
    group starts (ends) with this one.

    A moving edit smears over the group's mean, so its leading and trailing cells change
    less: the projection takes every cell at half the threshold or more."""
    assert c.frame_fine is not None
    if from_start and to_end:
        return None
    cells = score > 0.5
    diff = c.frame_fine[cj][:, cells].astype(np.float64) - s.fine[g][cells]
    pattern = diff.mean(axis=0)
    norm = float(pattern @ pattern)
    if diff.shape[0] < 2 or norm <= 0.0:
        return None
    share = diff @ pattern / norm
    # try every run [t0, t1), keep the best two-level fit among those that look like an
    # edit: its frames follow the change, the others do not, and each end is a jump
    n = share.size
    cum = np.concatenate([[0.0], np.cumsum(share)])
    cum2 = np.concatenate([[0.0], np.cumsum(share**2)])
    best: tuple[float, int, int] | None = None
    for t0 in [0] if from_start else range(n):
        for t1 in [n] if to_end else range(t0 + 1, n + 1):
            if t0 == 0 and t1 == n:
                continue
            m = t1 - t0
            inside = (cum[t1] - cum[t0]) / m
            outside = share[np.r_[0:t0, t1:n]]
            jump = EDGE_JUMP * inside
            if (
                inside < EDITED_SHARE
                or outside.mean() > max(CLEAN_SHARE, 0.3 * inside)
                or (t0 > 0 and share[t0] - share[t0 - 1] < jump)
                or (t1 < n and share[t1 - 1] - share[t1] < jump)
            ):
                continue
            err = (cum2[t1] - cum2[t0]) - m * inside**2 + float(outside.var()) * outside.size
            if best is None or err < best[0]:
                best = (err, t0, t1)
    if best is None:
        return None
    part = np.zeros(n, dtype=bool)
    part[best[1] : best[2]] = True
    return part


def _classify(
    s: VideoFingerprint, c: VideoFingerprint, pairs: list[tuple[int, int]]
) -> _Classified:
    """Status and changed rectangles per alignment step.

    A matched frame is edited when its coarse cells show it (per frame), or when its signed
    group's fine grid does (per group of GROUP frames: small regions, such as a face of
    0.25% of the frame, only show in the group average). Where a group only partly holds
    the edit, the frames that carry it are those the coarse grid flags (for edits it
    sees) or those whose own fine cells follow the change (see _edited_part)."""
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    status = np.full(len(pairs), _INSERTED, dtype=np.int8)
    status[arr[:, 1] < 0] = _MISSING
    both = np.flatnonzero((arr[:, 0] >= 0) & (arr[:, 1] >= 0))
    si, cj = arr[both, 0], arr[both, 1]
    exact, coarse_edited, coarse_scores = _coarse(s, c, si, cj)
    cut = {int(i) // GROUP for i, j in arr if j < 0}
    fine = _fine_groups(s, c, si, cj, cut)
    plain: dict[int, npt.NDArray[np.float64]] | None = None
    fine_rects = {
        g: cells_to_rects(score, c.width, c.height, FINE_ROWS, FINE_COLS)
        for g, score in fine.items()
        if (score > 1.0).any()
    }
    groups = si // GROUP
    edited = coarse_edited.copy()
    from_fine = np.zeros(si.size, dtype=bool)
    for g, rects in fine_rects.items():
        members = np.flatnonzero(groups == g)
        seen = [
            m for m in members if coarse_edited[m] and any(
                overlap(r, f)
                for r in cells_to_rects(coarse_scores[m], c.width, c.height)
                for f in rects
            )
        ]  # fmt: skip
        if seen:
            # the per-frame grid sees this edit (a small one only on and off): it says
            # where the edit starts and ends, the group fills the frames in between (and
            # up to a changed neighbour)
            a, b = np.searchsorted(members, [seen[0], seen[-1]])
            a, b = _widen(coarse_scores[members], int(a), int(b))
            lo = members[0] if g - 1 in fine_rects else members[a]
            hi = members[-1] if g + 1 in fine_rects else members[b]
            from_fine[members[(members >= lo) & (members <= hi)]] = True
            continue
        # which frames follow the change is read on the cells' own scores: blocks lift
        # more cells to half the threshold, where the camera's motion weighs too
        plain = _fine_groups(s, c, si, cj, cut, blocks=False) if plain is None else plain
        ends = g - 1 in fine_rects, g + 1 in fine_rects
        part = _edited_part(s, c, g, plain[g], cj[members], *ends)
        from_fine[members if part is None else members[part]] = True
    edited |= from_fine
    edited &= ~exact
    regions: dict[int, list[Rect]] = {}
    for k in np.flatnonzero(edited):
        coarse = cells_to_rects(coarse_scores[k], c.width, c.height) if coarse_edited[k] else []
        rects = fine_rects.get(int(groups[k]), []) if from_fine[k] else []
        # the fine rectangles are sharper; keep coarse ones where nothing fine is, or only
        # a small part of the edit (a few cells of it in a group where it is brief)
        rects = rects + [
            r for r in coarse
            if sum(_area(f) for f in rects if overlap(r, f)) < 0.25 * _area(r)
        ]  # fmt: skip
        regions[int(both[k])] = rects
    st = np.where(exact, _INTACT, np.where(edited, _EDITED, _REENCODED)).astype(np.int8)
    status[both] = st
    return _Classified(status, regions)


def _area(r: Rect) -> int:
    return r[2] * r[3]


def _merge(rects: list[Rect]) -> list[Rect]:
    """Bounding boxes of groups of overlapping rectangles."""
    out = list(dict.fromkeys(rects))
    merged = True
    while merged:
        merged = False
        for x in range(len(out)):
            for y in range(x + 1, len(out)):
                if overlap(out[x], out[y]):
                    a, b = out[x], out[y]
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    out[x] = (x0, y0, x1 - x0, y1 - y0)
                    del out[y]
                    merged = True
                    break
            if merged:
                break
    return sorted(out)


def _segments(
    s: VideoFingerprint,
    c: VideoFingerprint,
    pairs: list[tuple[int, int]],
    result: _Classified,
) -> list[Segment]:
    status = result.status
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
            # matched frames continue a segment while the checked frames do; the signed
            # side may skip or repeat frames where a frame-rate change explained it
            if (i < 0 or (i == pi + 1 if pj < 0 or j < 0 else i >= pi)) and (j < 0 or j == pj + 1):
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
        frame_regions: list[FrameRegions] = []
        if st == _EDITED:
            for step in range(start, k):
                rects = result.regions.get(step, [])
                j = pairs[step][1]
                if frame_regions and frame_regions[-1].regions == rects:
                    frame_regions[-1] = replace(frame_regions[-1], last=j)
                else:
                    frame_regions.append(FrameRegions(j, j, rects))
            regions = _merge([r for f in frame_regions for r in f.regions])
        segments.append(
            Segment(STATUSES[st], checked_range, signed_range, t0, t1, regions, frame_regions)
        )
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
    """Align and classify two fingerprints (see module docstring). The fine grid needs the
    checked side's per-frame grids (``fingerprint_video(..., keep_frame_fine=True)``, as
    ``compare_video`` does); without them only the coarse per-frame grid is used."""
    pairs = _pair_edited_runs(signed, checked, _tidy_gaps(align(signed, checked)))
    retimed = _retiming(signed, checked, pairs)
    if retimed is not None:
        tolerance = 1.0 / min(retimed.from_fps, retimed.to_fps) + 1e-3
        pairs, dropped = _explain_retiming(signed, checked, pairs, tolerance)
        shown = [i for i, j in pairs if i >= 0 and j >= 0]
        retimed = replace(retimed, dropped=dropped, duplicated=len(shown) - len(set(shown)))
    result = _classify(signed, checked, pairs)
    counts = np.bincount(result.status.astype(np.int64), minlength=len(STATUSES))
    summary = {name: int(counts[k]) for k, name in enumerate(STATUSES)}
    return FrameReport(
        signed_frame_count=signed.frame_count,
        checked_frame_count=checked.frame_count,
        summary=summary,
        segments=_segments(signed, checked, pairs, result) if pairs else [],
        retimed=retimed,
    )


def compare_video(
    signed: VideoFingerprint,
    checked_path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    geometry: Geometry | None = None,
) -> FrameReport:
    """Fingerprint the checked file (streaming) and compare it with the signed fingerprint.
    `geometry`: where the signed frame lies in the checked file (a registry match's), for a
    copy with bars or cropped: its frames are compared through the signed frame and the
    regions mapped back onto its pixels (frames.geometry)."""
    window = video_window(geometry, signed, checked_path)
    checked = fingerprint_video(
        checked_path, progress=progress, keep_frame_fine=True, window=window
    )
    report = compare_fingerprints(signed, checked)
    return report if window is None else window.map_report(report)


__all__ = [
    "BAND_MARGIN",
    "GAP_COST",
    "STATUSES",
    "align",
    "compare_fingerprints",
    "compare_video",
]
