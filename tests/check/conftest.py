"""Fixtures for `provenance check`: tiny signed, unsigned, tampered, untrusted-signer and
AI-labelled images (made once per session), laid out in a fresh git repository per test
with a policy that trusts only our development CA and forbids AI-generated media
outside `ai/`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from provenance import generate_dev_identity, sign
from provenance._demo_media import make_photo

POLICY = """\
# provenance check policy for the test repository
[trust]
anchors = ["certs/ca.pem"]

[files]
exclude = ["vendor/**"]

[rules]
allow_unsigned = ["icons/**"]
forbidden_source_types = ["trainedAlgorithmicMedia"]

[[overrides]]
paths = ["ai/**"]
forbidden_source_types = []
require_source_type_declared = true
allowed_source_types = ["trainedAlgorithmicMedia"]
"""

# What the policy above makes of each asset of the repository.
EXPECTED = {
    "ai/gen.jpg": ("pass", "trusted", []),
    "icons/logo.png": ("pass", "unsigned", []),
    "photos/fake.jpg": ("fail", "trusted", ["source-type-forbidden"]),
    "photos/signed.jpg": ("pass", "trusted", []),
    "photos/tampered.jpg": ("fail", "tampered", ["tampered"]),
    "photos/unsigned.jpg": ("fail", "unsigned", ["require-manifest"]),
    "photos/untrusted.jpg": ("fail", "valid", ["untrusted-signer"]),
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    )
    return out.stdout


@pytest.fixture(scope="session")
def check_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny assets, each made once: see EXPECTED for what each is."""
    d = tmp_path_factory.mktemp("check-media")
    ours = generate_dev_identity(d / "ours", org="Check Org").load()
    theirs = generate_dev_identity(d / "theirs", org="Stranger Org").load()
    raw = [make_photo(d / f"raw{i}.jpg", size=(48, 32), seed=100 + i) for i in range(6)]
    sign(raw[0], d / "signed.jpg", identity=ours, source_type="digitalCreation")
    sign(raw[1], d / "untrusted.jpg", identity=theirs, source_type="digitalCreation")
    sign(raw[2], d / "ai.jpg", identity=ours, source_type="trainedAlgorithmicMedia")
    sign(raw[4], d / "sidecar.jpg.c2pa", identity=ours, sidecar=True, source_type="digitalCreation")
    shutil.copy(raw[4], d / "sidecar.jpg")
    shutil.copy(raw[3], d / "unsigned.jpg")
    data = bytearray((d / "signed.jpg").read_bytes())
    data[-40] ^= 0x5A  # inside the entropy-coded image data: the hash no longer matches
    (d / "tampered.jpg").write_bytes(bytes(data))
    make_photo(d / "logo.png", size=(16, 16), seed=5)
    make_photo(d / "extra.jpg", size=(48, 32), seed=200)
    shutil.copy(d / "ours" / "ca.pem", d / "ca.pem")
    return d


@pytest.fixture
def make_repo(tmp_path: Path, check_media: Path) -> Callable[..., Path]:
    """A committed git repository holding the assets of EXPECTED, the policy, a
    non-media file, an ignored asset and an excluded vendor asset."""

    def make(*, policy: str | None = POLICY, git_init: bool = True) -> Path:
        repo = tmp_path / "repo"
        layout = {
            "photos/signed.jpg": "signed.jpg",
            "photos/untrusted.jpg": "untrusted.jpg",
            "photos/tampered.jpg": "tampered.jpg",
            "photos/unsigned.jpg": "unsigned.jpg",
            "photos/fake.jpg": "ai.jpg",
            "ai/gen.jpg": "ai.jpg",
            "icons/logo.png": "logo.png",
            "ignored/secret.jpg": "unsigned.jpg",
            "vendor/lib.jpg": "unsigned.jpg",
            "certs/ca.pem": "ca.pem",
        }
        for dst, src in layout.items():
            (repo / dst).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(check_media / src, repo / dst)
        (repo / "docs").mkdir()
        (repo / "docs" / "notes.md").write_text("# notes\n")
        (repo / ".gitignore").write_text("ignored/\n")
        if policy is not None:
            (repo / "provenance.toml").write_text(policy)
        if git_init:
            git(repo, "init", "-q", "-b", "main")
            git(repo, "config", "user.email", "check@example.com")
            git(repo, "config", "user.name", "Check Test")
            git(repo, "config", "commit.gpgsign", "false")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "assets")
        return repo

    return make


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo()


@pytest.fixture
def expected() -> dict[str, tuple[str, str, list[str]]]:
    """(status, verdict, violated rules) per asset of `repo` under POLICY."""
    return dict(EXPECTED)


@pytest.fixture
def policy_text() -> str:
    return POLICY


@pytest.fixture
def run_git() -> Callable[..., str]:
    return git
