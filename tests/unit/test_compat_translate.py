from __future__ import annotations

import json
import logging
import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from ocr.compat import (
    LEGACY_ENV_VAR,
    LegacyPathWarning,
    MigrationMapping,
    load_mappings,
    mapping_file,
    mapping_files,
    read_mapping,
    set_legacy_enabled,
    translate,
)
from ocr.errors import (
    LegacyPathNotMappedError,
    LegacySupportDisabledError,
    MigrationMappingInvalidError,
    MigrationMappingVersionError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OLD_CHECKPOINT = "outputs/exp/checkpoints/best.ckpt"
NEW_CHECKPOINT = "outputs/2025-10-09/01-50-37/checkpoints/best.ckpt"


@pytest.fixture(autouse=True)
def _legacy_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(LEGACY_ENV_VAR, raising=False)
    set_legacy_enabled(None)
    yield
    set_legacy_enabled(None)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    outputs = tmp_path / "project" / "outputs"
    outputs.mkdir(parents=True)
    return outputs


def _write(
    root: Path,
    migration_id: str,
    entries: dict[str, str],
    *,
    created_at: datetime = datetime(2025, 10, 18, 14, 3, 22, tzinfo=UTC),
    recorded_root: str | None = None,
) -> Path:
    mapping = MigrationMapping(
        migration_id=migration_id,
        created_at=created_at,
        root=recorded_root or root.as_posix(),
        entries=entries,
    )
    target = mapping_file(root, migration_id)
    target.parent.mkdir(parents=True)
    target.write_text(mapping.model_dump_json(indent=2))
    return target


def _moved(old: Path, new: Path) -> str:
    return f"legacy path {str(old)!r} has moved to {str(new)!r}; use the new path"


def test_translate_gives_the_new_path_and_warns_when_a_checkpoint_was_migrated(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(root, "m1", {OLD_CHECKPOINT: NEW_CHECKPOINT})
    old, new = root.parent / OLD_CHECKPOINT, root.parent / NEW_CHECKPOINT
    with caplog.at_level(logging.WARNING), pytest.warns(LegacyPathWarning) as caught:
        assert translate(old, root=root) == new
    assert [str(w.message) for w in caught] == [_moved(old, new)]
    assert caught[0].filename == __file__
    assert [r.getMessage() for r in caplog.records if r.name == "ocr.compat._translate"] == [
        _moved(old, new)
    ]


def test_translate_warns_once_when_a_path_is_asked_again(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(root, "m1", {OLD_CHECKPOINT: NEW_CHECKPOINT})
    old = root.parent / OLD_CHECKPOINT
    with pytest.warns(LegacyPathWarning):
        translate(old, root=root)
    caplog.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(old, root=root) == root.parent / NEW_CHECKPOINT
    assert caplog.records == []


def test_translate_maps_files_inside_when_a_folder_was_migrated(root: Path) -> None:
    _write(root, "m1", {"multirun/2025-10-09/01-50-37/0": "outputs/2025-10-09/01-50-37/0"})
    old = root.parent / "multirun/2025-10-09/01-50-37/0/checkpoints/epoch=3-step=120.ckpt"
    with pytest.warns(LegacyPathWarning):
        new = translate(old, root=root)
    assert new == root / "2025-10-09/01-50-37/0/checkpoints/epoch=3-step=120.ckpt"


def test_newest_migration_wins_when_two_map_one_path(root: Path) -> None:
    # "a-late" sorts first by name but ran last: time decides, not the folder name.
    _write(
        root,
        "a-late",
        {OLD_CHECKPOINT: "outputs/late.ckpt"},
        created_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    _write(
        root,
        "b-early",
        {OLD_CHECKPOINT: "outputs/early.ckpt"},
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert load_mappings(root) == {root / "exp/checkpoints/best.ckpt": root / "late.ckpt"}


def test_later_migrations_carry_earlier_entries_when_they_move_the_new_path(root: Path) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    _write(
        root,
        "m1",
        {"outputs/a.ckpt": "outputs/b.ckpt", "outputs/old": "outputs/new"},
        created_at=first,
    )
    # A swap inside one migration is two moves, not a chain.
    _write(
        root,
        "m2",
        {
            "outputs/b.ckpt": "outputs/c.ckpt",
            "outputs/c.ckpt": "outputs/b.ckpt",
            "outputs/new": "outputs/newer",
        },
    )
    assert load_mappings(root) == {
        root / "a.ckpt": root / "c.ckpt",
        root / "old": root / "newer",
        root / "b.ckpt": root / "c.ckpt",
        root / "c.ckpt": root / "b.ckpt",
        root / "new": root / "newer",
    }


def test_later_migrations_carry_entries_inside_when_they_move_a_folder(root: Path) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    _write(root, "m1", {OLD_CHECKPOINT: "outputs/run/checkpoints/best.ckpt"}, created_at=first)
    _write(root, "m2", {"outputs/run": "outputs/2025-10-09/01-50-37"})
    old = root.parent / OLD_CHECKPOINT
    assert load_mappings(root)[old] == root / "2025-10-09/01-50-37/checkpoints/best.ckpt"


def test_entries_follow_the_root_when_it_was_renamed(tmp_path: Path) -> None:
    root = tmp_path / "moved" / "outputs_old"
    root.mkdir(parents=True)
    _write(
        root,
        "m1",
        {OLD_CHECKPOINT: NEW_CHECKPOINT, "wandb/run-x": "outputs/2025-10-09/01-50-37/wandb/run-x"},
        recorded_root="/data/project/outputs",
    )
    assert load_mappings(root) == {
        root / "exp/checkpoints/best.ckpt": root / "2025-10-09/01-50-37/checkpoints/best.ckpt",
        root.parent / "wandb/run-x": root / "2025-10-09/01-50-37/wandb/run-x",
    }


def test_translate_refuses_when_no_migration_maps_the_path(root: Path) -> None:
    old = root / "never" / "migrated.ckpt"
    with pytest.raises(LegacyPathNotMappedError) as caught:
        translate(old, root=root)
    assert str(caught.value) == (
        f"no migration of {str(root)!r} maps {str(old)!r}. Migrate the tree first "
        "(`ocr migrate apply ROOT`), or pass a path that a migration moved"
    )
    assert caught.value.path == old


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        pytest.param("off", "OCR_LEGACY=off", id="env"),
        pytest.param(None, "set_legacy_enabled(False)", id="setting"),
    ],
)
def test_translate_refuses_when_legacy_support_is_off(
    root: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, origin: str
) -> None:
    _write(root, "m1", {OLD_CHECKPOINT: NEW_CHECKPOINT})
    if value is None:
        set_legacy_enabled(False)
    else:
        monkeypatch.setenv(LEGACY_ENV_VAR, value)
    old = root.parent / OLD_CHECKPOINT
    with pytest.raises(LegacySupportDisabledError) as caught:
        translate(old, root=root)
    assert str(caught.value) == (
        f"cannot translate {str(old)!r}: legacy support is off ({origin}). Use the new path, "
        "or unset OCR_LEGACY to turn legacy support back on"
    )


def test_mapping_files_lists_only_real_mappings_when_the_folder_holds_other_things(
    root: Path,
) -> None:
    first = _write(root, "m1", {})
    second = _write(root, "m2", {})
    (root / ".ocr" / "migrations" / "m3-no-mapping").mkdir()
    (root / ".ocr" / "migrations" / "notes.txt").write_text("x")
    assert mapping_files(root) == [first, second]
    assert first == root / ".ocr" / "migrations" / "m1" / "mapping.json"


def test_mapping_files_are_none_when_nothing_was_migrated(root: Path) -> None:
    assert mapping_files(root) == []
    assert load_mappings(root) == {}


@pytest.mark.parametrize(
    "migration_id",
    [
        pytest.param("../x", id="climbs"),
        pytest.param("a/b", id="nested"),
        pytest.param("", id="empty"),
    ],
)
def test_mapping_file_refuses_when_the_id_is_not_a_folder_name(
    root: Path, migration_id: str
) -> None:
    with pytest.raises(MigrationMappingInvalidError) as caught:
        mapping_file(root, migration_id)
    assert str(caught.value) == (
        f"migration ID {migration_id!r} is not a plain folder name. "
        "Use letters, digits, '.', '_' and '-', starting with a letter or digit"
    )


def _invalid(path: Path, why: str) -> str:
    return (
        f"migration mapping is invalid: {str(path)!r}: {why}. "
        "Restore the file from the migration report, or delete its migration folder"
    )


_VALID: dict[str, Any] = {
    "schema_version": 1,
    "migration_id": "m1",
    "created_at": "2025-10-18T14:03:22+02:00",
    "root": "/data/outputs",
    "entries": {},
}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        pytest.param(
            "{",
            "not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
            id="json",
        ),
        pytest.param("[]", "expected a JSON object, got list", id="list"),
        pytest.param(
            json.dumps(
                _VALID | {"created_at": "2025-10-18T14:03:22", "extra": 1, "migration_id": "../m"}
            ),
            "field 'migration_id' string should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'; "
            "field 'created_at' input should have timezone info; "
            "field 'extra' extra inputs are not permitted",
            id="fields",
        ),
        pytest.param(
            json.dumps(_VALID | {"entries": {"../x": "outputs/y", "outputs/z": "/abs/z"}}),
            "field 'entries.../x.[key]' value error, must be a normalised relative POSIX path "
            "without '..', got '../x'; "
            "field 'entries.outputs/z' value error, must be a normalised relative POSIX path "
            "without '..', got '/abs/z'",
            id="entries-climb-or-are-absolute",
        ),
    ],
)
def test_read_mapping_lists_every_problem_when_the_file_is_invalid(
    tmp_path: Path, raw: str, why: str
) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(raw)
    with pytest.raises(MigrationMappingInvalidError) as caught:
        read_mapping(path)
    assert str(caught.value) == _invalid(path, why)


def test_read_mapping_asks_for_an_upgrade_when_the_version_is_newer(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(_VALID | {"schema_version": 2}))
    with pytest.raises(MigrationMappingVersionError) as caught:
        read_mapping(path)
    assert str(caught.value) == (
        f"migration mapping {str(path)!r} has schema version 2, newer than this ocr "
        "understands (1). Upgrade ocr (pip install --upgrade ocr)"
    )


def test_mapping_round_trips_with_the_version_first_when_written(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    mapping = MigrationMapping.model_validate(
        _VALID | {"entries": {OLD_CHECKPOINT: NEW_CHECKPOINT}}
    )
    path.write_text(mapping.model_dump_json())
    assert read_mapping(path) == mapping
    assert next(iter(json.loads(path.read_text()))) == "schema_version"
