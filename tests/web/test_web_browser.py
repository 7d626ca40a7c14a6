"""The page in a real browser: Debian's Chromium, headless, driven by Playwright for Python
(no browser download). A tampered video dropped on the page shows its verdict, the edited
segment on the timeline (hover, focus, keyboard), the frame with the changed region
outlined, and the JSON report it downloads is the one `verify --json` prints. It saves
screenshots (to $PROVENANCE_SCREENSHOTS when set, as docs/images was made).

Skips without Chromium or Playwright, and fails instead where CI requires the browser
(`PROVENANCE_REQUIRE_BROWSER=1`, set by .ci/run)."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EDITED, Media, Server, one_original
from PIL import Image
from typer.testing import CliRunner

from provenance import Trust
from provenance._web import Settings
from provenance.cli import app
from provenance.frames.visual import OUTLINES

REQUIRE_ENV = "PROVENANCE_REQUIRE_BROWSER"


def _chromium() -> str:
    """Chromium's executable, with Playwright to drive it; else skip (or fail in CI)."""
    why = None
    exe = os.environ.get("PROVENANCE_CHROMIUM") or shutil.which("chromium")
    if exe is None:
        why = "Chromium not found (apt-get install chromium, or set PROVENANCE_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "Playwright for Python is not installed (pip install playwright)"
    if why is None:
        assert exe is not None
        return exe
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{why}; {REQUIRE_ENV}=1", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # root cannot use the sandbox
        b = p.chromium.launch(executable_path=exe, args=args)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PROVENANCE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page whose script errors and CSP violations fail the test."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    p = context.new_page()
    problems: list[str] = []
    p.on("pageerror", lambda e: problems.append(str(e)))
    p.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    yield p
    context.close()
    # the browser logs the refusal the last test provokes on purpose
    assert [m for m in problems if "status of 415" not in m] == []


def _drop(page: Any, *files: Path) -> None:
    """Drop files on the page as a person would drag them from a file manager."""
    payload = [[f.name, base64.b64encode(f.read_bytes()).decode()] for f in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, b64] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name));
            }
            return dt;
        }""",
        payload,
    )
    page.dispatch_event("#form", "drop", {"dataTransfer": transfer})


def _result(page: Any) -> None:
    page.wait_for_selector("#result:not([hidden])", timeout=120_000)


@pytest.mark.slow
def test_dropped_tampered_video_shows_verdict_timeline_and_outlined_region(
    page: Any,
    serve: Callable[[Settings], Server],
    web_media: Media,
    shots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve(Settings(trust=Trust.load([web_media.ca])))
    page.goto(server.url + "/")
    page.wait_for_selector("#settings:has-text('1 trust anchor')")
    _drop(page, web_media.tampered_video)
    _result(page)
    assert page.inner_text("#verdict-word").lower() == "tampered"
    assert page.get_attribute("#verdict", "class") == "verdict v-tampered"
    assert page.get_attribute("#verdict-icon", "href") == "#i-tampered"  # not colour alone
    assert "Changed after it was signed" in page.inner_text("#verdict-words")
    assert "captured with a camera" in page.inner_text("#facts")
    assert "assertion.bmffHash.mismatch" in page.inner_text("#problems")
    assert "tampered" in page.inner_text("#history")

    # the edited segment: hover shows its ranges, and it was selected with its frame
    edited = page.locator(".seg.s-edited")
    assert edited.count() == 1
    span = f"{EDITED[0]}–{EDITED[-1]}"
    edited.hover()
    tip = page.locator("#tip")
    assert tip.is_visible() and span in tip.inner_text() and "00:01.000" in tip.inner_text()
    figure = page.locator("#selected figure img")
    figure.wait_for()
    assert "Changed regions outlined" in page.inner_text("#selected figcaption")
    assert page.evaluate("document.querySelector('#selected img').naturalWidth") > 0
    assert _outline_share(figure.get_attribute("src")) > 0.9
    page.screenshot(path=shots / "tampered-video.png", full_page=True)

    # keyboard only: focus moves along the segments, Enter selects one
    page.locator(".seg").first.focus()
    assert "checked frames 0–29" in tip.inner_text()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.status") == "edited"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert page.get_attribute(".seg >> nth=2", "aria-pressed") == "true"
    assert "Nothing changed in these frames" in page.inner_text("#selected")
    rows = page.locator("#segments tbody tr")
    assert rows.count() == 3 and span in rows.nth(1).inner_text()  # the timeline as text

    # the JSON report downloaded is the one `verify --json` prints
    with page.expect_download() as got:
        page.click("#download")
    downloaded = json.loads(Path(got.value.path()).read_text())
    monkeypatch.chdir(web_media.folder)
    cli = CliRunner().invoke(
        app, ["verify", web_media.tampered_video.name, "--trust", str(web_media.ca), "--json"]
    )
    assert downloaded == json.loads(cli.stdout)


def _outline_share(src: str) -> float:
    png = base64.b64decode(src.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
    x, y, w, h = 80, 60, 80, 60  # the swapped rectangle; the frame is shown at full size
    border = [(i, y + 1) for i in range(x + 4, x + w - 4)] + [
        (x + 1, j) for j in range(y + 4, y + h - 4)
    ]
    return sum(rgb.getpixel(p) in OUTLINES for p in border) / len(border)


@pytest.mark.slow
def test_trusted_photo_stripped_copy_and_phone_width(
    page: Any,
    serve: Callable[[Settings], Server],
    web_media: Media,
    shots: Path,
) -> None:
    lookup = one_original(web_media.signed_video)
    server = serve(Settings(trust=Trust.load([web_media.ca]), lookup=lookup))
    page.goto(server.url + "/")
    page.set_input_files("#file", str(web_media.signed_photo))  # chosen, not dropped
    page.click("#go")
    _result(page)
    assert page.inner_text("#verdict-word").lower() == "trusted"
    assert page.get_attribute("#verdict-icon", "href") == "#i-trusted"
    assert "A. Reporter" in page.inner_text("#facts")
    assert page.locator("#picture img").is_visible()  # the photo itself, shown locally
    page.screenshot(path=shots / "trusted-photo.png", full_page=True)

    page.click("#again")
    _drop(page, web_media.stripped_video)
    _result(page)
    banner = page.inner_text("#registry")
    assert "Found in the registry" in banner and "67%" in banner
    assert page.locator(".seg.s-edited").count() == 1
    page.screenshot(path=shots / "stripped-found-in-registry.png", full_page=True)

    # a phone-width screen: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots / "phone-width.png", full_page=False)

    # an upload the server refuses is said in words, and the page lets you try again
    page.click("#again")
    bad = web_media.folder / "notes.txt"
    bad.write_text("not media")
    _drop(page, bad)
    page.wait_for_selector("#alert:not([hidden])")
    assert "not a supported media format" in page.inner_text("#alert")
    assert page.locator("#file").is_visible()
