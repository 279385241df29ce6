"""The app's Ablation page, driven by Streamlit's AppTest on a sweep's run folders.

The numbers are checked against ``ocr ablation``'s own analysis of the same
runs (the page and the command make the same calls), and the tree is checked
to be unchanged afterwards.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest
from streamlit.testing.v1 import AppTest

import ocr.ui.app
from ocr.ablation import ablation_json, analyse, collect_runs
from ocr.ui.scope import SCOPE_ENV_VAR, AppScope
from tests.ablation_trees import WIDTH_SWEEP, write_width_sweep

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

ABLATION_PAGE = "views/ablation.py"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output root holding the width sweep; the app is started on it."""
    root = tmp_path / "outputs"
    write_width_sweep(root)
    monkeypatch.setenv(SCOPE_ENV_VAR, AppScope((root,)).to_json())
    return root


def _ablation_page() -> AppTest:
    at = AppTest.from_file(ocr.ui.app.__file__, default_timeout=120).run()
    return at.switch_page(ABLATION_PAGE).run()


def _groups(at: AppTest) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = at.dataframe[0].value.to_dict("records")
    return rows


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and ".ocr" not in path.relative_to(folder).parts
    }


def test_the_page_shows_the_same_groups_as_ocr_ablation_when_opened(root: Path) -> None:
    before = _files(root)

    at = _ablation_page()

    assert not at.exception
    assert [error.value for error in at.error] == []
    expected = ablation_json(analyse(collect_runs([root]), metric="val/hmean"))
    groups = _groups(at)
    assert [(row["model.width"], row["n"]) for row in groups] == [(4, 2), (16, 2)]
    assert [row["mean"] for row in groups] == pytest.approx([0.71, 0.915])
    assert [row["mean"] for row in groups] == pytest.approx([g["mean"] for g in expected["groups"]])
    assert groups[1]["Δ vs baseline"] == pytest.approx(0.205)
    assert groups[0]["baseline"] is True
    runs = at.dataframe[-1].value.to_dict("records")
    assert [row["run"] for row in runs] == [f"{WIDTH_SWEEP}/{job}" for job in range(5)]
    assert runs[4]["kept out because"] == "logged no val/hmean"
    assert "4 of 5 runs in 2 group(s)" in at.markdown[0].value
    assert len(at.image) == 1
    assert [button.proto.label for button in at.get("download_button")] == [
        "Markdown",
        "CSV",
        "JSON",
        "LaTeX",
        "PNG",
    ]
    assert _files(root) == before


def test_the_baseline_group_changes_every_delta_when_another_is_picked(root: Path) -> None:
    at = _ablation_page()

    at.selectbox(key="a_baseline").select("model.width=16").run()

    groups = _groups(at)
    assert [row["baseline"] for row in groups] == [False, True]
    assert groups[0]["Δ vs baseline"] == pytest.approx(-0.205)
    assert math.isnan(groups[1]["Δ vs baseline"])


def test_a_malformed_where_is_one_line_and_the_table_stays_when_typed(root: Path) -> None:
    at = _ablation_page()

    at.text_input(key="a_where").input("model.width >").run()

    assert not at.exception
    (error,) = at.error
    assert "the selection ignores it until it parses" in error.value
    assert "Traceback" not in error.value
    assert len(_groups(at)) == 2


def test_a_where_keeps_the_matching_runs_when_it_parses(root: Path) -> None:
    at = _ablation_page()

    at.text_input(key="a_where").input("config.model.width = 16").run()

    assert [error.value for error in at.error] == []
    (group,) = _groups(at)
    assert group["n"] == 2
    assert group["mean"] == pytest.approx(0.915)


def test_the_chosen_factors_and_last_values_are_used_when_set(root: Path) -> None:
    at = _ablation_page()

    at.multiselect(key="a_by").select("seed").run()
    at.radio(key="a_value").set_value("last").run()

    groups = _groups(at)
    assert [(row["seed"], row["n"]) for row in groups] == [(0, 2), (1, 2)]
    assert [row["mean"] for row in groups] == pytest.approx([0.8, 0.825])  # last values, by seed
    assert "last value per run" in at.subheader[0].value


def test_the_page_says_so_when_no_run_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "outputs"
    empty.mkdir()
    monkeypatch.setenv(SCOPE_ENV_VAR, AppScope((empty,)).to_json())

    at = _ablation_page()

    assert not at.exception
    assert "No runs under" in at.info[0].value
