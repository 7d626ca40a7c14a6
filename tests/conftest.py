"""Shared fixtures: a development identity and generated media, made once per session."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mediautil import CORPUS, MEDIA, corpus_available, corpus_missing

from provenance import DevIdentity, Identity, generate_dev_identity
from provenance import _demo_media as samples


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> DevIdentity:
    return generate_dev_identity(tmp_path_factory.mktemp("keys"), org="Test Org")


@pytest.fixture(scope="session")
def identity(dev: DevIdentity) -> Identity:
    return dev.load()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    for ext, make in MEDIA.items():
        kwargs = {"seconds": 1.0} if make is samples.make_video else {}
        make(folder / f"sample.{ext}", **kwargs)  # type: ignore[operator]
    return folder


@pytest.fixture
def media(media_dir: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of the sample of a format, in this test's own folder."""

    def copy(ext: str) -> Path:
        dst = tmp_path / f"sample.{ext}"
        dst.write_bytes((media_dir / f"sample.{ext}").read_bytes())
        return dst

    return copy


@pytest.fixture
def signed(
    media: Callable[[str], Path], identity: Identity, tmp_path: Path
) -> Callable[[str], Path]:
    """Sign the sample of a format and return the signed file's path."""
    from provenance import sign

    def make(ext: str) -> Path:
        out = tmp_path / f"signed.{ext}"
        made = "digitalCreation"  # the samples are made by software
        sign(media(ext), out, identity=identity, author="Test Author", source_type=made)
        return out

    return make


@pytest.fixture
def corpus() -> Path:
    """The public C2PA corpus folder: skips without it, or fails where CI requires it."""
    if not corpus_available():
        corpus_missing()
    return CORPUS


REQUIRE_RAY_ENV = "PROVENANCE_REQUIRE_RAY"


@pytest.fixture(scope="session")
def ray_instance() -> Iterator[Any]:
    """One local Ray instance (2 CPUs) for the whole session: it takes seconds to start.
    Skips without Ray, or fails where CI requires it (`PROVENANCE_REQUIRE_RAY=1`)."""
    try:
        import ray
    except ImportError:
        reason = "Ray is not installed (pip install -e '.[ray]')"
        if os.environ.get(REQUIRE_RAY_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_RAY_ENV}=1", pytrace=False)
        pytest.skip(reason)
    ray.init(
        num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False
    )
    yield ray
    ray.shutdown()
