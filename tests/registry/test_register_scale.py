"""`provenance register --engine local|ray`: per-file rows streamed in input order, a
refused file its own row, batches written by several workers at once into one SQLite or
PostgreSQL registry, the same rows from Ray as from the local engine, and re-runs that
change nothing. The Ray test shares the session's Ray instance (2 CPUs)."""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from mediautil import schema_validator
from support.postgres import Cluster
from typer.testing import CliRunner

from provenance import Identity, register_each, sign
from provenance._demo_media import make_photo
from provenance._engine import Engine
from provenance._registry.location import open_registry
from provenance.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory, identity: Identity) -> list[Path]:
    """Signed photos with an unsigned one third: [signed, signed, unsigned, signed...]."""
    root = tmp_path_factory.mktemp("register-scale")
    files = []
    for i in range(5):
        src = make_photo(root / f"p{i}.png", size=(320, 240), seed=i)
        if i == 2:
            files.append(src)  # no credentials: refused
            continue
        files.append(
            Path(
                sign(
                    src, root / f"p{i}.signed.png", identity=identity, source_type="digitalCapture"
                ).output
            )
        )
    return files


def pg_url(cluster: Cluster) -> str:
    return cluster.create_database(f"t_{uuid.uuid4().hex}")


def cli(*args: str) -> tuple[int, dict[str, Any]]:
    r = runner.invoke(app, ["register", "--json", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    doc = json.loads(r.output)
    schema_validator("register-result.schema.json").validate(doc)
    return r.exit_code, doc


def test_a_refused_file_is_its_own_row_and_the_rest_register(
    tmp_path: Path, photos: list[Path]
) -> None:
    registry = str(tmp_path / "reg.db")
    code, doc = cli(*map(str, photos), "--registry", registry, "--engine", "local")
    assert code == 1
    rows = doc["results"]
    assert [r["path"] for r in rows] == [str(p) for p in photos]  # input order
    assert [r["status"] for r in rows] == ["added", "added", "refused", "added", "added"]
    assert "no content credentials" in rows[2]["reason"] and rows[2]["manifest_id"] == ""
    with open_registry(registry) as reg:
        assert reg.count() == 4  # type: ignore[attr-defined]

    signed = [str(p) for i, p in enumerate(photos) if i != 2]
    code, doc = cli(*signed, "--registry", registry, "--engine", "local")
    assert code == 0 and {r["status"] for r in doc["results"]} == {"unchanged"}

    r = runner.invoke(app, ["register", *signed, "--registry", registry, "--engine", "local"])
    assert r.exit_code == 0
    assert r.output.splitlines()[-1] == "4 files: 4 unchanged"

    # without --engine: all or nothing, as before
    r = runner.invoke(app, ["register", *map(str, photos), "--registry", str(tmp_path / "b.db")])
    assert r.exit_code == 1 and "no content credentials" in r.output
    assert not (tmp_path / "b.db").exists()  # refused before the registry is opened


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_workers_writing_the_same_manifests_at_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, photos: list[Path]
) -> None:
    """Copies of the same files in every order, from two processes into one registry:
    each manifest is added exactly once, every other row is unchanged."""
    if backend == "sqlite":
        url = str(tmp_path / "shared.db")
    else:
        url = pg_url(request.getfixturevalue("pg_cluster"))
    signed = [p for i, p in enumerate(photos) if i != 2]
    items = [p for k in range(8) for p in (signed if k % 2 else signed[::-1])]  # 32 rows
    rows = list(register_each(items, registry=url, engine=Engine.LOCAL, jobs=2))
    assert [r.path for r in rows] == [str(p) for p in items]
    by_id = Counter((r.manifest_id, r.status.value) for r in rows)
    ids = {r.manifest_id for r in rows}
    assert len(ids) == 4
    for mid in ids:
        assert by_id[(mid, "added")] == 1 and by_id[(mid, "unchanged")] == 7
    with open_registry(url) as reg:
        assert reg.count() == 4  # type: ignore[attr-defined]


@pytest.mark.slow
def test_ray_registers_as_the_local_engine_does(
    ray_instance: Any, pg_cluster: Cluster, photos: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(photos[0].parent)  # relative paths: Ray's workers run elsewhere
    files = [p.name for p in photos] * 6  # 30 rows: several batches on both workers
    local, on_ray = pg_url(pg_cluster), pg_url(pg_cluster)
    code_l, doc_l = cli(*files, "--registry", local, "--engine", "local", "--jobs", "2")
    code_r, doc_r = cli(*files, "--registry", on_ray, "--engine", "ray")
    assert code_l == code_r == 1  # the unsigned photo
    refused = [r for r in doc_r["results"] if r["status"] == "refused"]
    assert len(refused) == 6 and all(r["reason"].startswith(f"{files[2]}: ") for r in refused)
    # which copy of a file is 'added' depends on timing; the rest must be identical
    strip = [{**r, "status": r["status"].replace("added", "unchanged")} for r in doc_l["results"]]
    assert strip == [
        {**r, "status": r["status"].replace("added", "unchanged")} for r in doc_r["results"]
    ]
    assert Counter(r["status"] for r in doc_r["results"]) == Counter(
        r["status"] for r in doc_l["results"]
    )
    code, again = cli(*files, "--registry", on_ray, "--engine", "ray")
    assert code == 1
    assert {r["status"] for r in again["results"] if r["path"] != files[2]} == {"unchanged"}


def test_engine_ray_without_ray_is_one_line(
    tmp_path: Path, photos: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    r = runner.invoke(
        app, ["register", str(photos[0]), "--registry", str(tmp_path / "r.db"), "--engine", "ray"]
    )
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "error: --engine ray needs Ray: pip install 'provenance-toolkit[ray]'"
    ]


def test_usage_errors(tmp_path: Path, photos: list[Path]) -> None:
    reg = str(tmp_path / "r.db")
    r = runner.invoke(app, ["register", str(photos[0]), "--registry", reg, "--jobs", "2"])
    assert r.exit_code == 2 and "--jobs need --engine" in r.output
    r = runner.invoke(app, ["register", str(photos[0]), "--registry", reg, "--engine", "spark"])
    assert r.exit_code == 2 and "unknown engine" in r.output
    r = runner.invoke(
        app, ["register", str(tmp_path / "missing.png"), "--registry", reg, "--engine", "local"]
    )
    assert r.exit_code == 2 and "missing.png: error" in r.output
