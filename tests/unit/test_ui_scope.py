from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ocr.compat import LegacyFolders
from ocr.errors import InputPathError
from ocr.ui.scope import SCOPE_ENV_VAR, AppScope

if TYPE_CHECKING:
    from pathlib import Path


def test_scope_reads_back_what_ocr_ui_wrote_when_passed_through_the_environment(
    tmp_path: Path,
) -> None:
    scope = AppScope((tmp_path / "a b", tmp_path / "c"), LegacyFolders(tmp_path / "sweeps", None))

    assert AppScope.from_environ({SCOPE_ENV_VAR: scope.to_json()}) == scope
    assert AppScope.from_environ({SCOPE_ENV_VAR: AppScope((tmp_path,)).to_json()}).legacy is None


def test_scope_is_outputs_in_the_working_folder_when_started_without_ocr_ui(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert AppScope.from_environ({}) == AppScope((tmp_path / "outputs",))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param('{"roots": 3}', id="roots-not-a-list"),
        pytest.param("{}", id="no-roots"),
    ],
)
def test_scope_is_refused_in_one_line_when_the_variable_is_not_ocr_uis(text: str) -> None:
    with pytest.raises(InputPathError) as raised:
        AppScope.from_environ({SCOPE_ENV_VAR: text})

    assert str(raised.value).startswith(
        f"the app's scope {SCOPE_ENV_VAR}={text!r} is not what `ocr ui` writes ("
    )
    assert str(raised.value).endswith("). Start the app with `ocr ui [ROOT...]`")


def test_tops_are_the_roots_that_exist_and_their_legacy_folders_when_some_are_missing(
    tmp_path: Path,
) -> None:
    outputs, multirun, gone = tmp_path / "outputs", tmp_path / "multirun", tmp_path / "gone"
    outputs.mkdir()
    multirun.mkdir()
    scope = AppScope((outputs, gone))

    assert scope.present_roots() == [outputs]
    assert scope.missing_roots() == [gone]
    assert scope.tops() == [outputs, multirun]
    assert not gone.exists()  # a missing root is never created
