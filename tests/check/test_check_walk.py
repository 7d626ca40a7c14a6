"""File discovery: sidecars, symbolic links, explicit files, roots, the cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provenance._read import find_sidecar
from provenance.check._walk import Asset, Skipped, SkipReason, candidates, classify, find_root
from provenance.errors import UsageError


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["a.jpg"], None),
        (["a.jpg", "a.jpg.c2pa"], "a.jpg.c2pa"),
        (["a.jpg", "a.c2pa"], "a.c2pa"),
        (["a.jpg", "a.c2pa", "a.jpg.c2pa"], "a.jpg.c2pa"),
        (["a.tar.jpg", "a.tar.c2pa"], "a.tar.c2pa"),
        (["noext", "noext.c2pa"], "noext.c2pa"),
        ([".hidden", ".hidden.c2pa"], ".hidden.c2pa"),
    ],
)
def test_sidecar_lookup(tmp_path: Path, files: list[str], expected: str | None) -> None:
    for f in files:
        (tmp_path / f).write_bytes(b"x")
    asset = tmp_path / files[0]
    assert find_sidecar(asset) == (tmp_path / expected if expected else None)
    assert find_sidecar(str(asset)) == find_sidecar(asset)


def test_classify(tmp_path: Path, check_media: Path) -> None:
    (tmp_path / "a.jpg").write_bytes((check_media / "signed.jpg").read_bytes())
    (tmp_path / "named.jpg").write_text("not really a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "link.jpg").symlink_to(tmp_path / "a.jpg")
    (tmp_path / "a.jpg.c2pa").write_bytes((check_media / "sidecar.jpg.c2pa").read_bytes())
    got = {n: classify(tmp_path, n) for n in ("a.jpg", "named.jpg", "empty.png", "link.jpg")}
    assert isinstance(got["a.jpg"], Asset) and got["a.jpg"].sidecar == tmp_path / "a.jpg.c2pa"
    assert got["named.jpg"] == Skipped("named.jpg", SkipReason.UNSUPPORTED)
    assert got["empty.png"] == Skipped("empty.png", SkipReason.EMPTY)
    assert got["link.jpg"] == Skipped("link.jpg", SkipReason.SYMLINK)
    manifest = classify(tmp_path, "a.jpg.c2pa")
    assert isinstance(manifest, Skipped) and manifest.reason.startswith("not media")


def test_plain_folder_walk_skips_git_and_cache(tmp_path: Path) -> None:
    for rel in ("a/b.jpg", ".git/objects/x", ".provenance-cache/v1/k.json", "c.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert list(candidates(tmp_path, [tmp_path], git=False)) == ["a/b.jpg", "c.txt"]
    assert list(candidates(tmp_path, [tmp_path / "a"], git=False)) == ["a/b.jpg"]
    assert list(candidates(tmp_path, [tmp_path / "c.txt"], git=False)) == ["c.txt"]


def test_root_and_paths_outside_it(repo: Path, tmp_path: Path) -> None:
    root, in_git = find_root([repo / "photos"])
    assert root == repo.resolve() and in_git
    outside = tmp_path / "elsewhere.jpg"
    outside.write_text("x")
    with pytest.raises(UsageError, match="outside the checked root"):
        candidates(root, [outside], git=True)


def test_git_lists_untracked_but_not_ignored(repo: Path) -> None:
    (repo / "photos" / "new.jpg").write_bytes((repo / "photos" / "signed.jpg").read_bytes())
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        found = list(candidates(repo.resolve(), [], git=True))
    finally:
        os.chdir(cwd)
    assert "photos/new.jpg" in found
    assert not any(f.startswith("ignored/") for f in found)


def test_git_lfs_pointers_are_named(tmp_path: Path) -> None:
    (tmp_path / "big.mp4").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 123\n"
    )
    got = classify(tmp_path, "big.mp4")
    assert isinstance(got, Skipped) and "Git LFS pointer" in got.reason
