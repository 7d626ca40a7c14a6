"""provenance.identity: what the CLI needs to know about a key before loading it."""

from __future__ import annotations

import os
from pathlib import Path

from provenance import DevIdentity, Identity, generate_dev_identity


def test_key_is_encrypted(dev: DevIdentity, tmp_path: Path) -> None:
    assert Identity.key_is_encrypted(dev.key) is False
    enc = generate_dev_identity(tmp_path / "enc", passphrase=b"s3cret")
    assert Identity.key_is_encrypted(enc.key) is True
    # Not a key, not a file, a FIFO: no question to ask (loading says what is wrong).
    assert Identity.key_is_encrypted(dev.cert) is False
    assert Identity.key_is_encrypted(tmp_path / "missing.key") is False
    os.mkfifo(tmp_path / "pipe.key")
    assert Identity.key_is_encrypted(tmp_path / "pipe.key") is False
