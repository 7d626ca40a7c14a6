"""Perceptual and regional features computed from a small grayscale analysis image.

Shared by video frames and still images so both are compared with the same thresholds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# 128x128 keeps enough texture for the per-cell detail measure to see a blur at
# small resolutions, and costs the same as 64x64 in swscale (see benchmarks/frames_speed.py).
ANALYSIS_SIZE = 128
GRID = 8  # 8x8 cells: an edit of 1/16 of the frame covers at least one whole cell
CELLS = GRID * GRID
_CELL = ANALYSIS_SIZE // GRID
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


def compute_features(gray: npt.NDArray[np.uint8]) -> tuple[int, bytes, bytes]:
    """Return (64-bit DCT hash, 64 cell-mean bytes, 64 cell-detail bytes).

    `gray` must be ANALYSIS_SIZE x ANALYSIS_SIZE uint8.
    """
    img = gray.astype(np.float32)
    f = _DCT_IN
    small = img.reshape(f, ANALYSIS_SIZE // f, f, ANALYSIS_SIZE // f).mean(axis=(1, 3))
    coeffs = _DCT @ small @ _DCT.T
    flat = coeffs.ravel()
    # the DC term only encodes brightness; excluding it from the median keeps bits balanced
    bits = flat > np.median(flat[1:])
    dct = int(_BITS[bits].sum(dtype=np.uint64))

    cells = img.reshape(GRID, _CELL, GRID, _CELL)
    luma = np.clip(np.rint(cells.mean(axis=(1, 3))), 0, 255).astype(np.uint8)

    grad = np.zeros_like(img)
    grad[:, 1:] += np.abs(np.diff(img, axis=1))
    grad[1:, :] += np.abs(np.diff(img, axis=0))
    g = grad.reshape(GRID, _CELL, GRID, _CELL).mean(axis=(1, 3))
    detail = np.clip(np.rint(DETAIL_SCALE * np.log2(1.0 + g)), 0, 255).astype(np.uint8)
    return dct, luma.tobytes(), detail.tobytes()
