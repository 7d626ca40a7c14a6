"""`provenance serve`: options checked before anything listens, a busy port said in one
line, and the real command serving the page until Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
from conftest import Media
from typer.testing import CliRunner

from provenance.cli import app


def test_help_and_bad_options(web_media: Media) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["serve", "--help"])
    assert out.exit_code == 0
    for option in ("--trust", "--allowed-signers", "--registry", "--host", "--port"):
        assert option in out.stdout
    assert "provenance serve --trust keys/ca.pem" in out.stdout
    out = runner.invoke(app, ["serve", "--port", "70000"])
    assert out.exit_code == 2 and "give a port from 0 to 65535" in out.stderr
    out = runner.invoke(app, ["serve", "--allowed-signers", str(web_media.ca)])
    assert out.exit_code == 2 and "--trust" in out.stderr
    out = runner.invoke(app, ["serve", "--trust", str(web_media.folder / "missing.pem")])
    assert out.exit_code == 2 and "missing.pem" in out.stderr
    out = runner.invoke(app, ["serve", "--registry", str(web_media.folder / "missing.db")])
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "missing.db" in out.stderr


def test_a_busy_port_is_one_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert out.exit_code == 2
    assert (
        out.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


def test_serve_until_interrupted(web_media: Media) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "provenance", "serve", "--port", "0", "--trust", str(web_media.ca)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("Serving the web verifier at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split()[0]
        assert "Provenance verifier" in httpx.get(url, timeout=30).text
        files = {"file": ("signed.mp4", web_media.signed_video.read_bytes())}
        r = httpx.post(url + "api/verify", files=files, timeout=60)
        assert r.json()["reports"][0]["verdict"] == "trusted"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
    assert code == 0
