"""The app in a real browser (``nox -s ui``): what a new user does, from the README alone.

``ocr ui`` serves the demo's tree: a run trained here by ``ocr-train`` with
the legacy sample migrated beside it, and a second root holding the sample
as it was (unmigrated, with its ``multirun/`` and ``wandb/``). Playwright
drives Debian's Chromium (``chromium-headless-shell``, else ``chromium``),
never a browser it downloads. The user finds the best checkpoint, reads its
config, runs it on an uploaded receipt and sees its boxes, then compares it
with a legacy checkpoint. Screenshots go to ``$OCR_UI_SCREENSHOTS`` (the nox
session's folder) or the test's temporary folder.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pytest
from PIL import Image

from ocr.train.synthetic import generate_receipt

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

REPO: Final = Path(__file__).parents[2]
CHROMIUM: Final = ("/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium")
FLAGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS: Final = 180_000
ROW_HEIGHT: Final = 35  # Streamlit's dataframe rows and header, in CSS pixels


def _run(*command: str, cwd: Path) -> None:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def demo_roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo's tree (a trained run, the sample migrated), and the sample unmigrated."""
    base = tmp_path_factory.mktemp("demo")
    new, old = base / "new", base / "old"
    _run(sys.executable, str(REPO / "fixtures" / "make_legacy_sample.py"), str(new), cwd=base)
    (new / "README.md").unlink()
    shutil.copytree(new, old, symlinks=True)
    _run(sys.executable, "-m", "ocr.train", "trainer.max_epochs=2", cwd=new)
    _run(sys.executable, "-m", "ocr.cli", "migrate", "apply", "outputs", cwd=new)
    return new / "outputs", old / "outputs"


@pytest.fixture(scope="module")
def app_url(demo_roots: tuple[Path, Path]) -> Iterator[str]:
    """``ocr ui`` on both roots, on 127.0.0.1, stopped with Ctrl-C's signal at the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ocr.cli", "ui", *map(str, demo_roots), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert server.stdout is not None
    try:
        while line := server.stdout.readline():
            if line.startswith("ocr ui: http"):
                break
        assert line == f"ocr ui: http://127.0.0.1:{port}\n", "ocr ui did not start"
        yield line.split(": ", 1)[1].strip()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)
        server.stdout.close()
    assert server.returncode == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium under Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="nox -s ui installs Playwright")
    executable = next((path for path in CHROMIUM if Path(path).is_file()), None)
    if executable is None:
        pytest.skip(
            f"no Chromium at {' or '.join(CHROMIUM)}: apt-get install chromium-headless-shell"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OCR_UI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _receipt_png(folder: Path) -> Path:
    pixels, _ = generate_receipt(np.random.default_rng(7), height=1500, width=1000)
    path = folder / "receipt.png"
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _tick(page: Any, row: int) -> None:
    """Tick a row of the picker's table (a canvas: its tick boxes are the first column)."""
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for(timeout=WAIT_MS)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)


def _go(page: Any, title: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).click()


def test_a_new_user_finds_reads_tries_and_compares_the_best_checkpoint_in_a_browser(
    app_url: str, browser: Any, shots: Path, tmp_path: Path
) -> None:
    # Streamlit scrolls inside its own container: a tall window shows the whole page.
    page = browser.new_page(viewport={"width": 1400, "height": 1700})
    page.goto(app_url)

    # Find: the table is ranked by the monitored metric, best first; tick the best.
    page.get_by_text("checkpoint(s) under").wait_for(timeout=WAIT_MS)
    assert re.search(r"\b(\d+) checkpoint\(s\) under", page.content())
    _tick(page, 0)
    page.get_by_text("Can run here: built by ocr.train.module.DetectorModule").wait_for(
        timeout=WAIT_MS
    )
    page.screenshot(path=str(shots / "1-picked.png"), full_page=True)

    # Read its config: the saved YAML, as the run launched it.
    page.get_by_role("tab", name="Config").click()
    config = page.locator('[data-testid="stCode"]').inner_text()
    assert "_target_: ocr.train.module.DetectorModule" in config

    # Try it on an uploaded receipt: the boxes are drawn, and counted in the caption.
    _go(page, "Try and compare")
    page.get_by_role("radio", name="Upload").click()
    page.locator('input[type="file"]').set_input_files(str(_receipt_png(tmp_path)))
    page.get_by_text("receipt.png · 1000x1500").wait_for(timeout=WAIT_MS)
    caption = page.locator('[data-testid="stImageCaption"]').first
    caption.wait_for(timeout=WAIT_MS)
    boxes = re.match(r"(\d+) boxes", caption.inner_text())
    assert boxes is not None and int(boxes[1]) > 0
    page.screenshot(path=str(shots / "2-tried.png"), full_page=True)

    # Compare it with a second, legacy checkpoint: listed by metadata, not run without its code.
    _go(page, "Checkpoints")
    _tick(page, 2)
    page.get_by_text("2 checkpoints side by side").wait_for(timeout=WAIT_MS)
    _go(page, "Try and compare")
    page.get_by_role("radio", name="Validation pages").click()
    page.get_by_text("Not run here: its model code is not installed here").wait_for(timeout=WAIT_MS)
    summary = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "ran" in summary and "not run (see below)" in summary
    page.locator('[data-testid="stImageCaption"]').first.wait_for(timeout=WAIT_MS)
    assert re.match(
        r"\d+ boxes · P ", page.locator('[data-testid="stImageCaption"]').first.inner_text()
    )
    time.sleep(1)  # let the pictures finish drawing
    page.screenshot(path=str(shots / "3-compared.png"), full_page=True)
    page.close()


def test_a_new_user_reads_the_ablation_of_every_run_in_a_browser(
    app_url: str, browser: Any, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1700})
    page.goto(app_url)
    page.get_by_text("checkpoint(s) under").wait_for(timeout=WAIT_MS)

    _go(page, "Ablation")
    summary = page.get_by_text(re.compile(r"\d+ of \d+ runs in \d+ group\(s\)"))
    summary.wait_for(timeout=WAIT_MS)
    page.locator('[data-testid="stImage"]').first.wait_for(timeout=WAIT_MS)
    markdown = page.get_by_role("button", name="Markdown")
    markdown.wait_for(timeout=WAIT_MS)  # the downloads are drawn after the plot and tables
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    assert markdown.count() == 1
    assert "Traceback" not in page.content()
    time.sleep(1)  # let the plot finish drawing
    page.screenshot(path=str(shots / "4-ablation.png"), full_page=True)
    page.close()
