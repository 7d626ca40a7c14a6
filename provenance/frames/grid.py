"""Grid-level change detection shared by video frames and stills: change scores per cell
(coarse luma and texture, fine luma), the spatial-support rule, and rectangles around
changed cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from provenance.frames.features import GRID

Rect = tuple[int, int, int, int]

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
DETAIL_NOISE_FACTOR = 15.0
"""...and by more than this many times the median residual of all cells and frames compared
together: on the realistic set (docs/localization.md), CRF 35 copies of noisy camera
footage reached residuals of 29 at a median of 2.0 (CRF <= 28: at most 14)."""
GLOBAL_DETAIL_THRESHOLD = 56
"""A whole-frame texture change of 4x (2 octaves; re-encodes reached 39) is a visual edit."""
STRONG_SCORE = 2.0
"""A cell score this far over threshold flags the frame without temporal support."""
REFINE_FRACTION = 0.5
"""How far a weak border row/column of a changed group is pulled in (see cells_to_rects);
0 / 0.5 / 1.0 gave mean segment IoU 0.59 / 0.64 / 0.67 but 1.0 over-shrinks stills."""
SUPPORT_SCORE = 0.6
"""Neighbour score needed to keep an over-threshold cell (see spatial_support); it took
false edited frames on re-encodes from 5 to 0 at unchanged thresholds."""
DCT_HAMMING_THRESHOLD = 18
"""Whole-frame perceptual change: DCT hashes differing in more than this many of 64 bits
(re-encodes: max 8)."""

FINE_THRESHOLD = 3.4
"""A fine cell is changed if its mean luminance (averaged over a group of frames for video)
moved by more than this (0-255 scale), beyond the picture-wide shift and the blur that
rescaling and compression spread across strong edges (see fine_scores)..."""
FINE_NOISE_FACTOR = 10.0
"""...and by more than this many times the median change of all fine cells (the noise level
of this copy: heavy re-encodes and rescales raise it, a face swap does not)..."""
FINE_ACTIVITY = 150.0
"""...each scaled by 1 + (the cell's largest step to a neighbouring cell) / FINE_ACTIVITY:
re-encoding errs most at strong edges (controls peak at steps of 80-170), faces at this
scale are smooth (steps of 20-40). From benchmarks/frames_calibration.py: with these, no
group of the 90 unedited copies there is flagged, down to CRF 35 at 0.5x (7.5 times the
median flagged 25 groups, 9 and more none)."""
FINE_POOL_THRESHOLD = 1.7
FINE_POOL_NOISE_FACTOR = 9.0
"""Video groups also score each 2x2 block of fine cells by its mean residual, against this
floor and this many times the median of all blocks (then scaled like a cell): a face of
0.25% of the frame spans about five cells, each near the threshold, and the block mean
averages codec noise down while the face's change stays. On the realistic set
(docs/localization.md) the unedited copies' blocks peak at 0.85 of the threshold (8 times
the median: 0.95; 7 flagged 4 groups), and 0.25% faces went from 61.5% to 77.3% of their
frames."""
FINE_CELL_PIXELS = 200.0
"""Smallest cell area (pixels of the checked picture) the thresholds hold for (a 960x540
copy has 253 on the video grid); smaller cells get a threshold raised by the square root of
the ratio, at most 3x."""


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
    dev = np.abs(_detail_residual(s_detail.astype(np.float64), dd.astype(np.float64)))
    # heavy compression strips texture unevenly: the threshold follows this copy's noise
    detail = max(CELL_DETAIL_THRESHOLD, DETAIL_NOISE_FACTOR * float(np.median(dev)))
    score = np.maximum(dl / CELL_LUMA_THRESHOLD, dev / detail)
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


def fine_scores(
    signed: npt.NDArray[np.floating[Any]] | npt.NDArray[np.uint8],
    checked: npt.NDArray[np.floating[Any]],
    cell_pixels: float = FINE_CELL_PIXELS,
    pooled: bool = False,
) -> npt.NDArray[np.float64]:
    """Change score of each cell of a fine grid (> 1 means changed) between two grids;
    `cell_pixels`: the area of one cell in the checked picture. `pooled`: a cell also takes
    the score of the 2x2 blocks it is part of and moved with (see FINE_POOL_THRESHOLD)."""
    s = signed.astype(np.float64)
    d = checked.astype(np.float64) - s
    d -= np.median(d)  # brightness shift of the whole picture (flicker, grading)
    # rescaling and compression blur the picture a little: each cell's mean then moves by a
    # multiple of the grid's Laplacian there; fitted twice, without the outliers (the edit)
    p = np.pad(s, 1, mode="reflect")
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * s
    inlier = np.ones_like(d)
    for _ in range(2):
        alpha = float((inlier * lap * d).sum() / max(1e-9, float((inlier * lap * lap).sum())))
        resid = d - alpha * lap
        dev = np.abs(resid)
        inlier = (dev <= 3 * np.median(dev) + 1).astype(np.float64)
    resid -= np.median(resid)
    step = np.max(
        [np.abs(p[1:-1, 1:-1] - q) for q in (p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:])],
        axis=0,
    )
    # a cell's mean over fewer pixels carries more codec noise (one 16x16 block holds
    # several cells of a small video)
    small = float(np.clip(np.sqrt(FINE_CELL_PIXELS / max(cell_pixels, 1.0)), 1.0, 3.0))
    score = _scored(resid, step, FINE_THRESHOLD, FINE_NOISE_FACTOR, small)
    if pooled:
        block = (resid[:-1, :-1] + resid[1:, :-1] + resid[:-1, 1:] + resid[1:, 1:]) / 4
        steps = np.maximum.reduce([step[:-1, :-1], step[1:, :-1], step[:-1, 1:], step[1:, 1:]])
        b = _scored(block, steps, FINE_POOL_THRESHOLD, FINE_POOL_NOISE_FACTOR, small)
        # a block's score goes to those of its cells that moved with it (half its mean
        # change or more), not to the unchanged cells around an edit's border
        for dr in (0, 1):
            for dc in (0, 1):
                rows, cols = slice(dr, dr + b.shape[0]), slice(dc, dc + b.shape[1])
                view = score[rows, cols]
                moved = resid[rows, cols] * block >= 0.5 * block**2
                view[moved] = np.maximum(view[moved], b[moved])
    return score


def _scored(
    resid: npt.NDArray[np.float64], step: npt.NDArray[np.float64], floor: float,
    factor: float, small: float,
) -> npt.NDArray[np.float64]:  # fmt: skip
    """Residuals over the copy's noise level (a floor, or `factor` times the median), each
    scaled by the contrast at its place."""
    dev = np.abs(resid - np.median(resid))
    base = max(floor, factor * float(np.median(dev))) * small
    score: npt.NDArray[np.float64] = dev / (base * (1.0 + step / FINE_ACTIVITY))
    return score


def spatial_support(
    score: npt.NDArray[np.float64], rows: int = GRID, cols: int = GRID,
    supported: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:  # fmt: skip
    """Drop over-threshold cells that no neighbouring cell supports.

    An edit of 1/16 of the frame or more spans several cells, so at least one of the 8
    neighbours also moves noticeably (score >= SUPPORT_SCORE); codec noise peaks in
    isolated cells. Scores above STRONG_SCORE stand on their own, and so do `supported`
    cells (support found elsewhere, e.g. in time).
    """
    grid = score.reshape(-1, rows, cols)
    padded = np.pad(grid, ((0, 0), (1, 1), (1, 1)))
    neigh = np.zeros_like(grid)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                shifted = padded[:, 1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols]
                neigh = np.maximum(neigh, shifted)
    keep = (neigh >= SUPPORT_SCORE) | (grid > STRONG_SCORE)
    if supported is not None:
        keep |= supported.reshape(grid.shape)
    return np.where(keep, grid, np.minimum(grid, 1.0)).reshape(score.shape)


def cells_to_rects(
    score: npt.NDArray[np.floating[Any]],
    width: int,
    height: int,
    rows: int = GRID,
    cols: int = GRID,
) -> list[Rect]:
    """Rectangles (pixels) around 8-connected groups of changed cells (score > 1).

    An edit rarely lines up with the grid; a border column/row of a group whose score is
    only a fraction of the group's peak is mostly uncovered, so that side is pulled in by
    the missing fraction (calibration: raises mean IoU for unaligned 1/16 rectangles).
    """
    # The walk runs on Python lists: indexing NumPy arrays one cell at a time costs more
    # than the rest of a still's comparison.
    shaped = score.reshape(rows, cols)
    changed = shaped > 1.0
    grid = shaped.tolist()
    seen = (~changed).tolist()  # unchanged cells are never visited
    cw, ch = width / cols, height / rows
    rects: list[Rect] = []
    for r0, c0 in zip(*(i.tolist() for i in np.nonzero(changed)), strict=True):
        if seen[r0][c0]:
            continue
        seen[r0][c0] = True
        stack, comp = [(r0, c0)], []
        while stack:
            r, c = stack.pop()
            comp.append((r, c))
            for rr in (r - 1, r, r + 1):
                for cc in (c - 1, c, c + 1):
                    if 0 <= rr < rows and 0 <= cc < cols and not seen[rr][cc]:
                        seen[rr][cc] = True
                        stack.append((rr, cc))
        rects.append(_group_rect(grid, comp, cw, ch))
    return rects


def _group_rect(grid: list[list[float]], comp: list[tuple[int, int]], cw: float, ch: float) -> Rect:
    """The rectangle around one group of changed cells, its weak border rows and columns
    pulled in (see `cells_to_rects`)."""
    r_first, r_last = min(r for r, _ in comp), max(r for r, _ in comp)
    c_first, c_last = min(c for _, c in comp), max(c for _, c in comp)
    peak = max(grid[r][c] for r, c in comp)
    x0, x1 = c_first * cw, (c_last + 1) * cw
    y0, y1 = r_first * ch, (r_last + 1) * ch

    def cover(line: Iterable[float]) -> float:
        # content contrast also varies across cells, so trust only part of the ratio
        return 1.0 - REFINE_FRACTION * (1.0 - min(1.0, max(line) / peak))

    if c_last > c_first:
        x0 += (1 - cover(grid[r][c] for r, c in comp if c == c_first)) * cw
        x1 -= (1 - cover(grid[r][c] for r, c in comp if c == c_last)) * cw
    if r_last > r_first:
        y0 += (1 - cover(grid[r][c] for r, c in comp if r == r_first)) * ch
        y1 -= (1 - cover(grid[r][c] for r, c in comp if r == r_last)) * ch
    xi, yi = int(round(x0)), int(round(y0))
    return (xi, yi, int(round(x1)) - xi, int(round(y1)) - yi)


def overlap(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share any pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


__all__ = [
    "CELL_DETAIL_THRESHOLD",
    "CELL_LUMA_THRESHOLD",
    "DCT_HAMMING_THRESHOLD",
    "FINE_ACTIVITY",
    "FINE_NOISE_FACTOR",
    "FINE_THRESHOLD",
    "GLOBAL_DETAIL_THRESHOLD",
    "Rect",
    "cell_scores",
    "cells_to_rects",
    "fine_scores",
    "overlap",
    "spatial_support",
]
