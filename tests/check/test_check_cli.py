"""`provenance check` end to end: every output format, exit codes, cache, workers,
--changed-since and policy errors, on a small git repository (see conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from provenance.check import CheckOptions, run_check
from provenance.cli import app

Expected = dict[str, tuple[str, str, list[str]]]

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
DATA = Path(__file__).parent / "data"
SARIF_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

runner = CliRunner()


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    """`provenance check ARGS` inside `repo` via CliRunner: (exit code, stdout, stderr)."""
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        r = runner.invoke(app, ["check", *args], env={"CI": "true"})
    finally:
        os.chdir(cwd)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def report_validator() -> Draft202012Validator:
    schemas = {
        p.name: json.loads(p.read_text())
        for p in (SCHEMAS / "check-report.schema.json", SCHEMAS / "verification-report.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    return Draft202012Validator(schemas["check-report.schema.json"], registry=registry)


def test_json_report_matches_policy_and_schema(expected: Expected, repo: Path) -> None:
    code, out, _ = run(repo, "--format", "json", "--jobs", "1")
    assert code == 1
    doc = json.loads(out)
    report_validator().validate(doc)
    got = {
        r["path"]: (r["status"], r["verdict"], [v["rule"] for v in r["violations"]])
        for r in doc["results"]
    }
    assert got == expected
    assert [r["path"] for r in doc["results"]] == sorted(got)
    # Non-media, ignored (.gitignore) and excluded ([files] exclude) files are not assets.
    skipped = {s["path"] for s in doc["skipped"]}
    assert {"docs/notes.md", "provenance.toml", "certs/ca.pem", ".gitignore"} <= skipped
    assert not any(p.startswith(("ignored/", "vendor/", ".provenance-cache")) for p in skipped)
    assert doc["summary"]["assets"] == len(expected)
    assert doc["summary"]["failed"] == 4 and doc["exit_code"] == 1
    assert doc["policy"]["source"] == "provenance.toml"
    by_path = {r["path"]: r for r in doc["results"]}
    # Every violation names the C2PA status codes behind it where there are some.
    tampered = by_path["photos/tampered.jpg"]["violations"][0]
    assert "assertion.dataHash.mismatch" in tampered["status_codes"]
    untrusted = by_path["photos/untrusted.jpg"]["violations"][0]
    assert untrusted["status_codes"] == ["signingCredential.untrusted"]


def test_text_is_a_table_for_people(expected: Expected, repo: Path) -> None:
    code, out, _ = run(repo)
    assert code == 1
    for path in expected:
        assert path in out
    assert "[signingCredential.untrusted]" in out  # not eaten as console markup
    assert "7 assets checked (provenance.toml): 3 passed, 4 failed" in out


def test_junit_has_one_testcase_per_asset(expected: Expected, repo: Path) -> None:
    code, out, _ = run(repo, "--format", "junit")
    assert code == 1
    tree = ET.fromstring(out.split("\n", 1)[1])
    cases = tree.findall("./testsuite/testcase")
    assert sorted(c.get("name") or "" for c in cases) == sorted(expected)
    failures = tree.findall("./testsuite/testcase/failure")
    assert len(failures) == 4 == int(tree.get("failures") or -1)
    assert tree.get("tests") == str(len(expected))
    types = {f.get("type") for f in failures}
    assert types == {"source-type-forbidden", "tampered", "require-manifest", "untrusted-signer"}


def test_sarif_is_valid_sarif_2_1_0(expected: Expected, repo: Path) -> None:
    schema_file = DATA / "sarif-schema-2.1.0.json"
    assert hashlib.sha256(schema_file.read_bytes()).hexdigest() == SARIF_SHA256
    code, out, _ = run(repo, "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    Draft4Validator(json.loads(schema_file.read_text())).validate(doc)
    run0 = doc["runs"][0]
    rules = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    results = run0["results"]
    assert len(results) == 4
    for r in results:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uriBaseId"] == "%SRCROOT%"
        assert expected[loc["uri"]][2] == [r["ruleId"]]
    assert run0["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_github_annotations(repo: Path) -> None:
    code, out, _ = run(repo, "--format", "github")
    assert code == 1
    lines = [ln for ln in out.splitlines() if ln.startswith("::error ")]
    assert len(lines) == 4
    assert any(
        ln.startswith("::error file=photos/unsigned.jpg,title=provenance%3A require-manifest::")
        for ln in lines
    )


def test_output_file(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    code, out, err = run(repo, "--format", "sarif", "--output", str(target))
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert "report written" in err


def test_all_good_exits_0(repo: Path) -> None:
    code, out, _ = run(repo, "photos/signed.jpg", "ai/gen.jpg", "icons", "--format", "json")
    assert code == 0, out
    assert [r["path"] for r in json.loads(out)["results"]] == [
        "ai/gen.jpg",
        "icons/logo.png",
        "photos/signed.jpg",
    ]


def test_include_exclude(repo: Path) -> None:
    code, out, _ = run(repo, "--format", "json", "--include", "photos/**", "--exclude", "*fake*")
    paths = [r["path"] for r in json.loads(out)["results"]]
    assert paths == [
        "photos/signed.jpg",
        "photos/tampered.jpg",
        "photos/unsigned.jpg",
        "photos/untrusted.jpg",
    ]
    assert code == 1


def test_python_m_subprocess(expected: Expected, repo: Path) -> None:
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "provenance", "check", "--format", "json", "--jobs", "2"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    report_validator().validate(doc)
    assert {r["path"]: r["status"] for r in doc["results"]} == {
        p: e[0] for p, e in expected.items()
    }
    assert proc.stderr == ""  # no progress bar when not on a terminal


def test_cache_gives_identical_results_and_survives_corruption(
    expected: Expected, repo: Path
) -> None:
    opts = CheckOptions(paths=(repo,), jobs=1)
    cold = run_check(opts)
    # ai/gen.jpg and photos/fake.jpg are the same bytes: the second finds the first's entry.
    assert (cold.cache_hits, cold.cache_misses) == (1, len(expected) - 1)
    entries = sorted((repo / ".provenance-cache").rglob("*.json"))
    # One entry per distinct content (fake.jpg and gen.jpg are the same bytes).
    assert len(entries) == len(expected) - 1
    warm = run_check(opts)
    assert warm.cache_hits == len(expected)
    assert warm.to_dict() == cold.to_dict()

    entries[0].write_text('{"key": "not this one", "report": {')  # torn or corrupted
    entries[1].write_bytes(b"\x00\xff garbage")
    again = run_check(opts)
    assert again.to_dict() == cold.to_dict()
    assert again.cache_hits == len(expected) - 2 or again.cache_hits == len(expected) - 3
    for e in entries[:2]:
        assert json.loads(e.read_text())["report"]["verdict"]  # rewritten whole

    no_cache = run_check(CheckOptions(paths=(repo,), jobs=1, cache=False))
    assert no_cache.to_dict() == cold.to_dict() and no_cache.cache_hits == 0
    # The cache never shows up as files to check, in git or not.
    assert not any(s.path.startswith(".provenance-cache") for s in warm.skipped)


def test_policy_change_reuses_cache_trust_change_does_not(expected: Expected, repo: Path) -> None:
    run_check(CheckOptions(paths=(repo,), jobs=1))
    policy = repo / "provenance.toml"
    policy.write_text(policy.read_text().replace('allow_unsigned = ["icons/**"]', ""))
    second = run_check(CheckOptions(paths=(repo,), jobs=1))
    assert second.cache_hits == len(expected)
    assert {r.path for r in second.results if r.status == "fail"} >= {"icons/logo.png"}
    policy.write_text(policy.read_text().replace('anchors = ["certs/ca.pem"]', ""))
    third = run_check(CheckOptions(paths=(repo,), jobs=1))
    assert third.cache_hits == 1  # only the second of the two identical files


def test_sidecar_is_part_of_the_key(repo: Path, check_media: Path) -> None:
    (repo / "side").mkdir()
    (repo / "side" / "pic.jpg").write_bytes((check_media / "sidecar.jpg").read_bytes())
    (repo / "side" / "pic.jpg.c2pa").write_bytes((check_media / "sidecar.jpg.c2pa").read_bytes())
    opts = CheckOptions(paths=(repo / "side",), jobs=1)
    first = run_check(opts)
    assert [(r.path, r.verdict) for r in first.results] == [("side/pic.jpg", "trusted")]
    assert first.results[0].report.sidecar == "side/pic.jpg.c2pa"
    assert [s.path for s in first.skipped] == ["side/pic.jpg.c2pa"]
    (repo / "side" / "pic.jpg.c2pa").unlink()
    second = run_check(opts)
    assert second.cache_hits == 0
    assert [(r.path, r.verdict) for r in second.results] == [("side/pic.jpg", "unsigned")]


def test_jobs_1_and_2_give_identical_reports(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provenance._engine._MIN_POOL", 0)  # use a pool even for 7 files
    one = run(repo, "--format", "json", "--jobs", "1", "--no-cache")
    two = run(repo, "--format", "json", "--jobs", "2", "--no-cache")
    assert one == two
    assert not (repo / ".provenance-cache").exists()


def test_changed_since(run_git: Any, repo: Path, check_media: Path) -> None:
    # Nothing changed since HEAD: nothing to check.
    code, out, _ = run(repo, "--format", "json", "--changed-since", "HEAD")
    assert code == 0 and json.loads(out)["results"] == []
    # A new commit, a modified tracked file and an untracked file.
    (repo / "photos" / "new.jpg").write_bytes((check_media / "extra.jpg").read_bytes())
    run_git(repo, "add", "photos/new.jpg")
    run_git(repo, "commit", "-q", "-m", "new photo")
    (repo / "photos" / "signed.jpg").write_bytes((check_media / "tampered.jpg").read_bytes())
    (repo / "ai" / "draft.jpg").write_bytes((check_media / "unsigned.jpg").read_bytes())
    code, out, _ = run(repo, "--format", "json", "--changed-since", "HEAD~1")
    doc = json.loads(out)
    assert {r["path"]: r["verdict"] for r in doc["results"]} == {
        "ai/draft.jpg": "unsigned",
        "photos/new.jpg": "unsigned",
        "photos/signed.jpg": "tampered",
    }
    assert code == 1
    code, _, err = run(repo, "--changed-since", "no-such-rev")
    assert code == 2 and "unknown git revision 'no-such-rev'" in err


def test_outside_git_checks_every_file(expected: Expected, make_repo: Any) -> None:
    plain = make_repo(git_init=False)
    code, out, _ = run(plain, "--format", "json")
    paths = {r["path"] for r in json.loads(out)["results"]}
    # No .gitignore semantics outside git; the policy's [files] exclude still applies.
    assert paths == set(expected) | {"ignored/secret.jpg"}
    assert code == 1


def test_default_policy_without_file(make_repo: Any) -> None:
    bare = make_repo(policy=None)
    code, out, _ = run(bare, "--format", "json")
    doc = json.loads(out)
    assert doc["policy"] == {"source": None, "sha256": None}
    statuses = {r["path"]: r["status"] for r in doc["results"]}
    # Defaults: a manifest is required, tampering fails, trust is not required.
    assert statuses["photos/untrusted.jpg"] == "pass"
    assert statuses["photos/unsigned.jpg"] == "fail"
    assert statuses["vendor/lib.jpg"] == "fail"
    assert code == 1


def test_pyproject_policy_is_discovered(
    expected: Expected, make_repo: Any, policy_text: str
) -> None:
    body = policy_text.replace("[trust]", "[tool.provenance.trust]")
    body = body.replace("[files]", "[tool.provenance.files]")
    body = body.replace("[rules]", "[tool.provenance.rules]")
    body = body.replace("[[overrides]]", "[[tool.provenance.overrides]]")
    r = make_repo(policy=None)
    (r / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + body)
    code, out, _ = run(r, "--format", "json")
    doc = json.loads(out)
    assert doc["policy"]["source"] == "pyproject.toml"
    assert {d["path"]: d["status"] for d in doc["results"]} == {
        p: e[0] for p, e in expected.items()
    }


def test_bad_policy_is_a_one_line_error(repo: Path, tmp_path: Path) -> None:
    """The message format itself is covered for many mistakes in test_check_policy.py."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nrequire_manifest = true\nfrobnicate = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "provenance", "check", "--policy", str(bad)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: {bad}:3: rules.frobnicate: unknown key (expected one of allow_reencoded, "
        "allow_unsigned, allowed_identities, allowed_signers, allowed_source_types, "
        "forbid_location, forbid_tampered, forbidden_source_types, frames, max_age, "
        "require_capture_time, require_identity, require_manifest, "
        "require_source_type_declared, require_timestamp, require_trusted)"
    ]


def test_usage_errors_exit_2(repo: Path) -> None:
    assert run(repo, "--format", "yaml")[0] == 2
    assert run(repo, "--jobs", "0")[0] == 2
    assert run(repo, "no/such/path")[0] == 2


def test_documented_examples_use_real_options() -> None:
    import re

    doc = (ROOT / "docs" / "check.md").read_text()
    help_text = runner.invoke(app, ["check", "--help"], terminal_width=200).output
    lines = [
        ln.removeprefix("$ ").split("#")[0]
        for block in re.findall(r"```(?:console|yaml|python)\n(.*?)```", doc, flags=re.S)
        for ln in block.splitlines()
    ]
    lines += re.findall(r"run: (provenance check[^\n]*)", doc)
    commands = [ln for ln in lines if "provenance check" in ln]
    assert len(commands) >= 5
    for command in commands:
        for word in command.split():
            if word.startswith("--"):
                assert word in help_text, f"{word} is not an option of check"


def test_unreadable_asset_exits_2_and_is_not_cached(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provenance.check._run as run_module
    from provenance.check._render import to_junit
    from provenance.errors import InputError

    real = run_module.verify

    def flaky(path: Any, **kwargs: Any) -> Any:
        if str(path).endswith("/photos/signed.jpg"):
            raise InputError(f"{path}: cannot read (Permission denied)")
        return real(path, **kwargs)

    monkeypatch.setattr(run_module, "verify", flaky)
    first = run_check(CheckOptions(paths=(repo,), jobs=1))
    assert first.exit_code == 2
    bad = {r.path: r for r in first.results}["photos/signed.jpg"]
    assert bad.status == "error" and [v.rule for v in bad.violations] == ["unreadable"]
    assert bad.violations[0].message == "photos/signed.jpg: cannot read (Permission denied)"
    junit = ET.fromstring(to_junit(first).split("\n", 1)[1])
    assert len(junit.findall("./testsuite/testcase/error")) == 1
    monkeypatch.setattr(run_module, "verify", real)
    second = run_check(CheckOptions(paths=(repo,), jobs=1))
    assert second.exit_code == 1
    assert second.cache_hits == len(second.results) - 1  # the error was not cached


def test_a_bug_while_checking_one_asset_exits_3_and_reports_the_asset(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provenance.check._run as run_module

    real = run_module.verify

    def buggy(path: Any, **kwargs: Any) -> Any:
        if str(path).endswith("/photos/signed.jpg"):
            raise ZeroDivisionError("division by zero")
        return real(path, **kwargs)

    monkeypatch.setattr(run_module, "verify", buggy)
    code, out, err = run(repo, "--format", "json", "--jobs", "1", "--no-cache")
    assert code == 3 and "Traceback" not in out + err
    doc = json.loads(out)
    report_validator().validate(doc)
    assert doc["exit_code"] == 3 and doc["summary"]["errors"] == 1
    by_path = {r["path"]: r for r in doc["results"]}
    bad = by_path["photos/signed.jpg"]
    assert (bad["status"], bad["verdict"]) == ("internal", "error")
    (violation,) = bad["violations"]
    assert violation["rule"] == "internal-error"
    assert violation["message"] == (
        "photos/signed.jpg: internal error: ZeroDivisionError: division by zero"
    )
    assert by_path["photos/unsigned.jpg"]["status"] == "fail"  # the others are still checked

    # PROVENANCE_DEBUG=1: the bug propagates with its traceback instead.
    monkeypatch.setenv("PROVENANCE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run_check(CheckOptions(paths=(repo,), jobs=1, cache=False))


def test_concurrent_runs_share_the_cache_safely(repo: Path) -> None:
    cmd = [sys.executable, "-m", "provenance", "check", "--format", "json", "--jobs", "1"]
    env = {**os.environ, "CI": "true"}
    procs = [
        subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1]
    docs = [json.loads(out) for out, _ in outs]
    assert docs[0] == docs[1] == docs[2]
    for entry in (repo / ".provenance-cache").rglob("*"):
        assert not entry.name.startswith(".tmp-")  # no leftovers
        if entry.suffix == ".json":
            json.loads(entry.read_text())
    warm = run_check(CheckOptions(paths=(repo,), jobs=1))
    assert warm.cache_hits == len(warm.results)
    assert warm.to_dict() == docs[0]


def test_frame_violations_fit_the_schema() -> None:
    from provenance.check._policy import Rules, evaluate
    from provenance.models import FrameReport, Verdict, VerificationReport

    frames = {
        "summary": {"intact": 5, "reencoded": 0, "edited": 3, "inserted": 0, "missing": 0},
        "segments": [
            {"status": "edited", "checked_range": [5, 7], "signed_range": [5, 7],
             "start_time": 0.2, "end_time": 0.3, "regions": [[0, 0, 8, 8]]},
        ],
    }  # fmt: skip
    report = VerificationReport(
        "v.mp4", Verdict.TRUSTED, "ok", frames=FrameReport.from_dict({
            "signed_frame_count": 8, "checked_frame_count": 8, **frames})
    )
    (v,) = evaluate(Rules(), "v.mp4", report, trusted_possible=False)
    validator = report_validator()
    sub = validator.evolve(schema={"$ref": "check-report.schema.json#/$defs/violation"})
    sub.validate(v.to_dict())
    assert v.to_dict()["frames"][0]["start_time"] == 0.2


def test_changed_sidecar_rechecks_its_asset(run_git: Any, repo: Path, check_media: Path) -> None:
    (repo / "side").mkdir()
    (repo / "side" / "pic.jpg").write_bytes((check_media / "sidecar.jpg").read_bytes())
    (repo / "side" / "pic.jpg.c2pa").write_bytes((check_media / "sidecar.jpg.c2pa").read_bytes())
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "sidecar")
    (repo / "side" / "pic.jpg.c2pa").write_bytes(b"jumbnot a manifest")
    code, out, _ = run(repo, "--format", "json", "--changed-since", "HEAD")
    doc = json.loads(out)
    assert [r["path"] for r in doc["results"]] == ["side/pic.jpg"]
    assert doc["results"][0]["verdict"] == "invalid"
    assert [s["path"] for s in doc["skipped"]] == ["side/pic.jpg.c2pa"]
    assert code == 1


def test_a_folder_without_media_says_so_and_the_policy_decides(tmp_path: Path) -> None:
    """Point 14: `check` on a folder with no media exited 0 having checked nothing, and
    said nothing. Now it says so; `[files] require_assets = true` makes that fail."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text("no media here\n")
    code, out, _ = run(folder)
    assert code == 0
    assert "nothing checked: no media assets were found" in out
    code, _, err = run(folder, "--format", "json")
    assert code == 0 and "warning: nothing checked" in err

    (folder / "provenance.toml").write_text("[files]\nrequire_assets = true\n")
    code, out, _ = run(folder)
    assert code == 1 and "the policy requires some" in out
    code, out, _ = run(folder, "--format", "github")
    assert code == 1 and out.startswith("::error title=provenance: no assets::nothing checked")
    (folder / "provenance.toml").write_text("[files]\nrequire_assets = 'yes'\n")
    code, _, err = run(folder)
    assert code == 2 and "files.require_assets: must be true or false" in err


def test_no_frames_reports_tampered_files_without_localizing(repo: Path) -> None:
    """The verdicts are the same; only localization, which decodes a tampered photo, is
    skipped (its report carries no region and does not say what was located)."""

    def reports(*args: str) -> dict[str, dict[str, Any]]:
        code, out, _ = run(repo, "--format", "json", "--jobs", "1", "--no-cache", *args)
        assert code == 1
        return {r["path"]: r for r in json.loads(out)["results"]}

    full, quick = reports(), reports("--no-frames")
    verdicts = {p: r["verdict"] for p, r in full.items()}
    assert {p: r["verdict"] for p, r in quick.items()} == verdicts
    assert "located" in full["photos/tampered.jpg"]["report"]["message"]
    assert quick["photos/tampered.jpg"]["report"]["message"] == (
        "the asset was changed after it was signed"
    )
