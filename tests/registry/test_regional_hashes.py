"""`Regions` (batched, cached weights, flatness bounded by Parseval) gives what its
definition gives window by window: the DCT sign hash of each window's 32x32 box reduction
of the edge-padded fine grid, and `flat` where that reduction's standard deviation is
under the limit. Bits may differ only where a coefficient is too close to 0 to carry a
sign: the agreement check's own rule (`softbinding._same_signs`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from provenance._registry import fingerprint as fp
from provenance._registry.fingerprint import FINE, HYPOTHESES, IDENTITY, REGIONS, SIZE, Regions
from provenance._registry.softbinding import _same_signs


def _by_definition(
    grid: npt.NDArray[np.float32], box: fp.Box, hyp: fp.Hypothesis
) -> tuple[list[int], list[bool]]:
    padded = np.pad(grid.astype(np.float64), fp._PAD, mode="edge")
    n, k = padded.shape[0], FINE / SIZE
    bits, flat = [], []
    for window in REGIONS:
        x0, y0, x1, y1 = (v * k + fp._PAD for v in fp.core_rect(box, hyp, window))
        wy = fp._box_weights(np.array(y0), np.array(y1), n)
        wx = fp._box_weights(np.array(x0), np.array(x1), n)
        small = wy @ padded @ wx.T
        coeffs = (fp._DCT @ small @ fp._DCT.T).ravel()[fp._INDEX]
        bits.append(int(fp._WEIGHTS[coeffs > 0].sum(dtype=np.uint64)))
        flat.append(bool(small.std() < fp._FLAT_STD))
    return bits, flat


def _grids() -> list[tuple[str, npt.NDArray[np.float32]]]:
    rng = np.random.default_rng(7)
    ramp = np.linspace(60, 200, FINE)[None, :].repeat(FINE, axis=0)
    half = np.full((FINE, FINE), 120.0)
    half[40:] += 6.0  # flat but for one edge: some windows flat, others not
    return [
        ("photo-like", (ramp + rng.normal(0, 20, (FINE, FINE))).astype(np.float32)),
        ("near the flat limit", (128 + rng.normal(0, 2.2, (FINE, FINE))).astype(np.float32)),
        ("one edge", half.astype(np.float32)),
        ("constant", np.full((FINE, FINE), 90, dtype=np.float32)),
    ]


@pytest.mark.parametrize("name,grid", _grids(), ids=[n for n, _ in _grids()])
@pytest.mark.parametrize("box", [(0, 0, 128, 128), (10, 14, 118, 114)])
def test_regions_match_their_definition(
    name: str, grid: npt.NDArray[np.float32], box: fp.Box
) -> None:
    hyps = (IDENTITY, HYPOTHESES[37], HYPOTHESES[124])
    found = Regions(grid, box, hyps)
    for h, hyp in enumerate(hyps):
        bits, flat = _by_definition(grid, box, hyp)
        for i, want in enumerate(bits):
            differ = int(found.bits[h, i]) ^ want
            assert _same_signs(differ, found.strength[h, i]), (name, h, i)
        if h == 0:
            assert found.flat.tolist() == flat, name


def test_the_flat_cases_take_both_paths() -> None:
    """The grids above cover a picture whose bound clears every window (no reduction
    made) and pictures with flat windows (reductions made): both branches are checked."""
    flats = {name: Regions(g, (0, 0, 128, 128)).flat for name, g in _grids()}
    assert not flats["photo-like"].any()
    assert flats["constant"].all()
    assert flats["one edge"].any() and not flats["one edge"].all()
