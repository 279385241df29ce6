from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ocr.catalog import CatalogEntry, CheckpointCatalog
from ocr.layout import RunLayout
from ocr.registry import Status
from ocr.ui.details import MAX_CONFIG_BYTES, annotate_overrides, describe_checkpoint, override_key
from tests.ui_runs import make_reference_run

SAMPLE = Path(__file__).parents[2] / "fixtures" / "legacy_sample"


def _entry_of(catalog: CheckpointCatalog, path: Path) -> CatalogEntry:
    return next(entry for entry in catalog.scan() if entry.path == str(path))


def test_details_hold_config_overrides_record_and_sidecar_when_run_is_new(tmp_path: Path) -> None:
    checkpoint, _ = make_reference_run(tmp_path, overrides=("model.width=4", "+seed=1"))
    catalog = CheckpointCatalog([tmp_path])

    details = describe_checkpoint(_entry_of(catalog, checkpoint), catalog.config_lookup())

    assert details.config_file == RunLayout(checkpoint.parents[1]).config_file
    assert details.overrides == ("model.width=4", "+seed=1")
    assert details.record is not None and details.record.status is Status.COMPLETED
    assert details.sidecar is not None and details.sidecar.training.monitor == "val/hmean"
    assert details.problems == ()
    assert "  width: 4  # <- override: model.width=4\n" in (details.annotated_config or "")


def test_details_read_the_legacy_overrides_and_problems_when_run_is_legacy(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE / "outputs", tmp_path / "outputs")
    folder = tmp_path / "outputs" / "ocr_training-dbnet-unet-resnet18"
    catalog = CheckpointCatalog([tmp_path / "outputs"])
    entry = _entry_of(catalog, folder / "checkpoints" / "epoch-8-step-1845.ckpt")

    details = describe_checkpoint(entry, catalog.config_lookup())

    assert details.record is None and details.sidecar is None
    assert details.overrides == ("exp_name=ocr_training-dbnet-unet-resnet18", "model/decoder=unet")
    assert "  decoder:  # <- override: model/decoder=unet\n" in (details.annotated_config or "")


def test_details_note_problems_when_files_are_unreadable_or_too_long(tmp_path: Path) -> None:
    checkpoint, _ = make_reference_run(tmp_path)
    layout = RunLayout(checkpoint.parents[1])
    layout.config_file.write_text("model: {}\n" + "#" * MAX_CONFIG_BYTES)
    layout.record_file.write_text("{not json")
    catalog = CheckpointCatalog([tmp_path])

    details = describe_checkpoint(_entry_of(catalog, checkpoint), catalog.config_lookup())

    assert details.config_text is not None and len(details.config_text) == MAX_CONFIG_BYTES
    assert details.problems[0] == (
        f"{str(layout.config_file)!r}: longer than {MAX_CONFIG_BYTES:,} bytes; shown cut short"
    )
    assert details.problems[1] == (
        f"experiment record is invalid: {str(layout.record_file)!r}: not valid JSON (Expecting "
        "property name enclosed in double quotes: line 1 column 2 (char 1)). Fix or remove the "
        "file, then run `ocr registry rebuild`"
    )
    assert details.record is None


@pytest.mark.parametrize(
    ("override", "key"),
    [
        pytest.param("model.width=4", "model.width", id="set"),
        pytest.param("+seed=1", "seed", id="add"),
        pytest.param("++trainer.devices=2", "trainer.devices", id="force-add"),
        pytest.param("model=dbnet_fpn", "model", id="group"),
        pytest.param("model/decoder=unet", "model.decoder", id="nested-group"),
        pytest.param("db@model.head=x", "db", id="package"),
        pytest.param("~trainer.devices", None, id="delete"),
        pytest.param("nothing", None, id="no-equals"),
        pytest.param("=x", None, id="empty-key"),
    ],
)
def test_override_key_is_the_dotted_key_when_an_override_sets_one(
    override: str, key: str | None
) -> None:
    assert override_key(override) == key


def test_annotation_marks_nested_keys_and_groups_and_keeps_the_rest_when_overridden() -> None:
    config = "model:\n  width: 4\n  head:\n    k: 50\ndata:\n  width: 96\n'quoted': 1\n"

    annotated = annotate_overrides(
        config, ["model.head.k=50", "data=synthetic", "quoted=1", "absent=2"]
    )

    assert annotated == (
        "model:\n  width: 4\n  head:\n    k: 50  # <- override: model.head.k=50\n"
        "data:  # <- override: data=synthetic\n  width: 96\n'quoted': 1  # <- override: quoted=1\n"
    )
    assert annotate_overrides(config, ["~model"]) == config


def test_details_note_unreadable_overrides_and_sidecar_when_files_are_broken(
    tmp_path: Path,
) -> None:
    checkpoint, _ = make_reference_run(tmp_path)
    layout = RunLayout(checkpoint.parents[1])
    sidecar = checkpoint.with_name(checkpoint.name + ".meta.json")
    sidecar.write_text("{}")
    catalog = CheckpointCatalog([tmp_path])
    entry = _entry_of(catalog, checkpoint)._replace(sidecar="valid")  # as a stale index would say
    layout.overrides_file.write_text("[unclosed")

    details = describe_checkpoint(entry, catalog.config_lookup())

    assert details.sidecar is None
    assert details.overrides == ()
    assert any(
        p.startswith(f"checkpoint metadata is invalid: {str(sidecar)!r}: ")
        for p in details.problems
    )
    assert any(
        p.startswith(f"{str(layout.overrides_file)!r}: unreadable overrides (")
        for p in details.problems
    )


def test_details_hold_no_overrides_when_the_file_is_not_a_list(tmp_path: Path) -> None:
    checkpoint, _ = make_reference_run(tmp_path)
    RunLayout(checkpoint.parents[1]).overrides_file.write_text("model.width: 4\n")
    catalog = CheckpointCatalog([tmp_path])
    entry = _entry_of(catalog, checkpoint)._replace(sidecar="missing")

    details = describe_checkpoint(entry, catalog.config_lookup())

    assert details.overrides == ()
    assert details.record is not None and details.problems == ()


def test_details_hold_neither_config_nor_record_when_the_entry_has_no_run(tmp_path: Path) -> None:
    checkpoint, _ = make_reference_run(tmp_path)
    catalog = CheckpointCatalog([tmp_path])
    entry = _entry_of(catalog, checkpoint)._replace(sidecar="missing", run_dir=None)

    details = describe_checkpoint(entry, catalog.config_lookup())

    assert (details.overrides, details.record, details.config_file) == ((), None, None)
    assert details.annotated_config is None
