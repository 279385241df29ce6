"""Shared fixtures only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.strategies import load_profile

if TYPE_CHECKING:
    from pathlib import Path

load_profile()


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
