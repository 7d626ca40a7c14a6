"""Perceptual and regional features computed from a small grayscale analysis image.

Shared by video frames and still images so both are compared with the same thresholds.
Two levels: a coarse 8x8 grid (luma and texture per cell, every frame) and a fine 64x32
grid of mean luma, which video keeps per group of frames (see ``fingerprint``) and stills
keep as is. The fine grid is what finds a face of 0.25% of the frame (benchmarks/
frames_calibration.py, docs/localization.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# One 256x256 grayscale reduction per frame feeds both levels; the coarse features use its
# 2x2 means (128x128 keeps enough texture for the per-cell detail measure to see a blur at
# small resolutions). swscale costs the same for 64x64 and 256x256 (benchmarks/frames_speed.py).
FINE_SIZE = 256
ANALYSIS_SIZE = 128
GRID = 8  # 8x8 cells: an edit of 1/16 of the frame covers at least one whole cell
CELLS = GRID * GRID
_CELL = ANALYSIS_SIZE // GRID
# 64x32 cells of 4x8 analysis pixels: about square (30x34 px) on a 16:9 frame, and a face of
# 0.25% of the frame covers five of them
FINE_COLS, FINE_ROWS = 64, 32
FINE_CELLS = FINE_COLS * FINE_ROWS
_DCT_IN = 32  # classic pHash: low 8x8 DCT coefficients of a 32x32 image
# log scale so that a detail *ratio* becomes a byte *difference*; 28*log2(512) < 256
DETAIL_SCALE = 28.0


def _dct_matrix(n: int, k: int) -> npt.NDArray[np.float64]:
    x = np.arange(n)
    u = np.arange(k)[:, None]
    m: npt.NDArray[np.float64] = np.cos(np.pi * (2 * x[None, :] + 1) * u / (2 * n)) * np.sqrt(
        2.0 / n
    )
    m[0] /= np.sqrt(2.0)
    return m


_DCT = _dct_matrix(_DCT_IN, 8)
_BITS = (np.uint64(1) << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def fine_cells(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Mean luminance of each fine cell, (FINE_ROWS, FINE_COLS) float32, of a
    FINE_SIZE x FINE_SIZE uint8 image."""
    f = FINE_SIZE
    cells = gray.reshape(FINE_ROWS, f // FINE_ROWS, FINE_COLS, f // FINE_COLS)
    means: npt.NDArray[np.float32] = cells.mean(axis=(1, 3), dtype=np.float32)
    return means


def compute_features(gray: npt.NDArray[np.uint8]) -> tuple[int, bytes, bytes]:
    """Return (64-bit DCT hash, 64 cell-mean bytes, 64 cell-detail bytes).

    `gray` must be FINE_SIZE x FINE_SIZE uint8 (reduced 2x2 to the 128x128 analysis image).
    """
    k = FINE_SIZE // ANALYSIS_SIZE
    img = gray.reshape(ANALYSIS_SIZE, k, ANALYSIS_SIZE, k).mean(axis=(1, 3), dtype=np.float32)
    f = _DCT_IN
    small = img.reshape(f, ANALYSIS_SIZE // f, f, ANALYSIS_SIZE // f).mean(axis=(1, 3))
    coeffs = _DCT @ small @ _DCT.T
    flat = coeffs.ravel()
    # the DC term only encodes brightness; excluding it from the median keeps bits balanced.
    # 63 values: the median is the middle one (np.median gives the same, but loads numpy.ma
    # on first use, ~20 ms of every signing process)
    rest = flat[1:]
    bits = flat > np.partition(rest, rest.size // 2)[rest.size // 2]
    dct = int(_BITS[bits].sum(dtype=np.uint64))

    cells = img.reshape(GRID, _CELL, GRID, _CELL)
    luma = np.clip(np.rint(cells.mean(axis=(1, 3))), 0, 255).astype(np.uint8)

    grad = np.zeros_like(img)
    grad[:, 1:] += np.abs(np.diff(img, axis=1))
    grad[1:, :] += np.abs(np.diff(img, axis=0))
    g = grad.reshape(GRID, _CELL, GRID, _CELL).mean(axis=(1, 3))
    detail = np.clip(np.rint(DETAIL_SCALE * np.log2(1.0 + g)), 0, 255).astype(np.uint8)
    return dct, luma.tobytes(), detail.tobytes()
