"""Session fixtures of the hardening suite: the attack files, built once, and their
verification outcomes, run in parallel child processes (one per file, with a time limit)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from attacks import AttackCase, Outcome, VerifyServer, Workbench, build_all, large_mp4


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    return Workbench.create(tmp_path_factory.mktemp("hardening-bench"))


@pytest.fixture(scope="session")
def attack_cases(
    workbench: Workbench, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, AttackCase]:
    cases = build_all(workbench, tmp_path_factory.mktemp("attacks"))
    return {c.name: c for c in cases}


@pytest.fixture(scope="session")
def attack_outcomes(attack_cases: dict[str, AttackCase]) -> dict[str, Outcome]:
    """Each case verified in a child process with a per-file time limit (see VerifyServer);
    one child per core, cases shared out between them."""
    names = sorted(attack_cases)
    workers = max(1, min(4, os.cpu_count() or 1))

    def run(share: list[str]) -> dict[str, Outcome]:
        with VerifyServer() as server:
            return {
                n: server.verify(attack_cases[n].path, trust=attack_cases[n].trust) for n in share
            }

    outcomes: dict[str, Outcome] = {}
    with ThreadPoolExecutor(workers) as pool:
        for part in pool.map(run, [names[i::workers] for i in range(workers)]):
            outcomes.update(part)
    return outcomes


@pytest.fixture(scope="session")
def big_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~70 MB MP4 of lossless noise, made in about a second."""
    return large_mp4(tmp_path_factory.mktemp("big") / "big.mp4")
