"""Synthetic clips for the frame tests, generated once per session with PyAV."""

from __future__ import annotations

import pytest
from support.synth import ClipSet


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipSet:
    return ClipSet(tmp_path_factory.mktemp("frames-clips"))
