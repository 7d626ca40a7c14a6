"""provenance._engine: batches sized by weight, results in input order on the local
pool, and clear one-line errors for an unknown engine or a missing Ray."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provenance._demo_media import make_photo
from provenance._engine import (
    BATCH_BYTES,
    BATCH_ITEMS,
    RAY_RETRIES,
    Engine,
    Task,
    batches,
    imap,
)
from provenance.cli import app
from provenance.errors import UsageError


class Square(Task[int, int]):
    """n -> n*n; an item's weight is its value (bytes)."""

    def run(self, item: int) -> int:
        return item * item

    def weight(self, item: int) -> int:
        return item


def test_light_items_share_batches_that_grow_heavy_ones_go_alone() -> None:
    light = list(range(1, 301))
    sizes = [len(b) for b in batches(Square(), light)]
    assert sizes[:7] == [1, 2, 4, 8, 16, 32, 64] and max(sizes) == BATCH_ITEMS
    assert [x for b in batches(Square(), light) for x in b] == light
    heavy = BATCH_BYTES * 3
    got = list(batches(Square(), [1, 2, 3, heavy, 4, 5, BATCH_BYTES - 1, 6]))
    assert [heavy] in got  # a long video is a task of its own
    assert [x for b in got for x in b] == [1, 2, 3, heavy, 4, 5, BATCH_BYTES - 1, 6]
    assert all(sum(b) <= BATCH_BYTES or len(b) == 1 for b in got)


def test_local_engine_keeps_input_order_and_streams() -> None:
    fed: list[int] = []

    def stream() -> object:
        for i in range(100):
            fed.append(i)
            yield i

    out = imap(Square(), stream(), jobs=1)  # type: ignore[arg-type]
    assert fed == []  # nothing read before results are asked for
    assert next(out) == 0 and len(fed) < 100
    assert list(out) == [i * i for i in range(1, 100)]


def test_workers_from_the_fork_server_find_the_task_module_imported(tmp_path: Path) -> None:
    # A process with a second thread cannot fork its workers (can_fork), so they come from
    # the fork server, which imports the task's module once for every pool it starts.
    script = (
        "import os, threading\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "from provenance._engine import imap\n"
        "from support.pid_task import WhoImported\n"
        "rows = list(imap(WhoImported(), range(48), jobs=2))\n"
        "print(len({w for w, _ in rows}), len({i for _, i in rows}), "
        "any(w == i for w, i in rows), rows[0][1] == os.getpid())\n"
    )
    tests = Path(__file__).parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout.split()  # fmt: skip
    workers, importers, imported_by_a_worker, imported_by_driver = out
    assert workers != "0" and importers == "1"  # the fork server, once
    assert imported_by_a_worker == "False" and imported_by_driver == "False"


def test_engine_names_and_misuse_are_usage_errors() -> None:
    assert Engine.parse("Ray") is Engine.RAY
    with pytest.raises(UsageError, match="unknown engine 'spark' \\(use local, ray\\)"):
        Engine.parse("spark")
    with pytest.raises(UsageError, match="--ray-address needs --engine ray"):
        imap(Square(), [1], address="auto")
    with pytest.raises(UsageError, match="--jobs must be at least 1"):
        imap(Square(), [1], jobs=0)


def test_missing_ray_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    folder = tmp_path / "assets"
    folder.mkdir()
    make_photo(folder / "a.jpg", size=(16, 16))
    result = CliRunner().invoke(app, ["check", str(folder), "--engine", "ray"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --engine ray needs Ray: pip install 'provenance-toolkit[ray]'\n"
    )
    result = CliRunner().invoke(app, ["check", str(folder), "--engine", "spark"])
    assert (result.exit_code, result.output) == (
        2,
        "error: unknown engine 'spark' (use local, ray)\n",
    )


class DieOn(Task[int, str]):
    """Kills its worker process on one item, as a native crash on a hostile file would."""

    def __init__(self, bad: int):
        self.bad = bad

    def run(self, item: int) -> str:
        if item == self.bad:
            os._exit(1)
        return f"ok {item}"

    def lost(self, item: int, why: str) -> str:
        return f"lost {item}: {why}"


@pytest.mark.slow
def test_an_item_that_kills_every_worker_is_its_own_row_on_ray(ray_instance: Any) -> None:
    # Ray workers cannot import this test module: ship its classes by value.
    ray_instance.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    out = list(imap(DieOn(5), range(10), engine=Engine.RAY))
    assert out[:5] + out[6:] == [f"ok {i}" for i in (0, 1, 2, 3, 4, 6, 7, 8, 9)]
    assert out[5] == f"lost 5: WorkerCrashedError after {RAY_RETRIES} retries"
