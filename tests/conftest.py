"""Shared fixtures only."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.strategies import load_profile

if TYPE_CHECKING:
    from collections.abc import Iterator

load_profile()

LEGACY_FIXTURES = Path(__file__).parents[1] / "fixtures" / "legacy"


@pytest.fixture
def run_root(tmp_path: Path) -> Path:
    """An output root that does not exist yet."""
    return tmp_path / "outputs"


@pytest.fixture(
    params=[
        pytest.param("with space", id="space"),
        pytest.param("quote'and\"double", id="quotes"),
        pytest.param("key=value,x", id="equals"),
        pytest.param("new\nline", id="newline"),
        pytest.param("ünïcødé", id="non-ascii"),
    ]
)
def weird_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A folder whose name holds characters that break naive path handling."""
    folder = tmp_path / str(request.param)
    folder.mkdir()
    return folder


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """Eras A to D in one tree: ``outputs/``, ``multirun/`` and ``wandb/`` side by side."""
    base = tmp_path / "project"
    for era in "ABCD":
        shutil.copytree(LEGACY_FIXTURES / era, base, dirs_exist_ok=True)
    return base


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A fresh folder another user can reach (pytest's own tmp folder is root's alone).

    For tests that run ocr as an unprivileged user (``tests.unprivileged``).
    """
    folder = Path(tempfile.mkdtemp(prefix="ocr-unprivileged-")).resolve()
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for current, dirs, _ in os.walk(folder):
            for name in dirs:  # a folder a test locked is unlocked before it is walked
                Path(current, name).chmod(0o755)
        shutil.rmtree(folder)
