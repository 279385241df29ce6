from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr.compat import set_legacy_enabled
from ocr.compat._shared import (
    LegacySidecar,
    LegacySidecarFormat,
    legacy_sidecar_format,
    legacy_sidecar_paths,
    read_legacy_sidecar,
)
from ocr.errors import LegacySidecarInvalidError, LegacySupportDisabledError

if TYPE_CHECKING:
    from collections.abc import Iterator

LEGACY = Path(__file__).parents[2] / "fixtures" / "legacy"
A_CHECKPOINTS = (
    LEGACY
    / "A"
    / "outputs"
    / "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
    / "checkpoints"
)
B_CHECKPOINTS = LEGACY / "B" / "outputs" / "ocr_training" / "checkpoints" / "dbnet_resnet18"
A_EXP = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"

FORMAT_1 = LegacySidecar(
    path=A_CHECKPOINTS / "best.metadata.json",
    format=LegacySidecarFormat.METADATA_JSON,
    epoch=0,
    global_step=273,
    # "OCRModel" and "unknown" in the sidecar; the companion config.json names them.
    architecture="dbnet",
    encoder="mobilenetv3_small_050",
    decoder="pan_decoder",
    head="db_head",
    metrics={"val/hmean": 0.892, "val/precision": 0.9012, "val/recall": 0.8831},
    monitor="val/hmean",
    mode="max",
    created_at=datetime(2025, 10, 9, 1, 50, 37, 123456),
)
FORMAT_2 = LegacySidecar(
    path=A_CHECKPOINTS / "best-v1.metadata.yaml",
    format=LegacySidecarFormat.METADATA_YAML,
    epoch=12,
    global_step=3276,
    architecture="dbnet",
    encoder="mobilenetv3_small_050",
    decoder="pan_decoder",
    head="db_head",
    metrics={
        "val/hmean": 0.892,
        "precision": 0.9012,
        "recall": 0.8831,
        "hmean": 0.892,
        "validation_loss": 1.5191,
    },
    monitor="val/hmean",
    mode="max",
    created_at=datetime(2025, 10, 10, 12, 0, tzinfo=timezone(timedelta(hours=9))),
    exp_name=A_EXP,
    hydra_config_path=f"outputs/{A_EXP}/.hydra/config.yaml",
)
FORMAT_3_UNKNOWN = LegacySidecar(
    path=A_CHECKPOINTS / "last.ckpt.metadata.yaml",
    format=LegacySidecarFormat.CKPT_METADATA_YAML,
    epoch=69,
    global_step=19110,
    metrics={"validation_loss": 1.4478},
    monitor="val/hmean",
    mode="max",
    created_at=datetime(2025, 10, 11, 0, 44, 42),
    exp_name=A_EXP,
    wandb_run_id="3kq9x2vb",
)
FORMAT_3_B = LegacySidecar(
    path=B_CHECKPOINTS / "epoch=3-step=120.ckpt.metadata.yaml",
    format=LegacySidecarFormat.CKPT_METADATA_YAML,
    epoch=3,
    global_step=120,
    architecture="dbnet",
    encoder="resnet18",
    decoder="unet",
    head="db_head",
    metrics={"precision": 0.71, "recall": 0.64, "hmean": 0.6732, "validation_loss": 2.01},
    monitor="val/hmean",
    mode="max",
    created_at=datetime(2025, 9, 30, 8, 15),
    exp_name="ocr_training",
    hydra_config_path="outputs/ocr_training/.hydra/config.yaml",
)


@pytest.fixture(autouse=True)
def _legacy_on() -> Iterator[None]:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(FORMAT_1, id="1-metadata-json-with-companion"),
        pytest.param(FORMAT_2, id="2-metadata-yaml"),
        pytest.param(FORMAT_3_UNKNOWN, id="3-ckpt-metadata-yaml-unknown-words"),
        pytest.param(FORMAT_3_B, id="3-ckpt-metadata-yaml-era-b"),
    ],
)
def test_sidecar_reads_exactly_when_given_a_fixture(expected: LegacySidecar) -> None:
    assert read_legacy_sidecar(expected.path) == expected


@pytest.mark.parametrize(
    ("checkpoint", "expected"),
    [
        pytest.param(A_CHECKPOINTS / "best.ckpt", ["best.metadata.json"], id="format-1"),
        pytest.param(A_CHECKPOINTS / "best-v1.ckpt", ["best-v1.metadata.yaml"], id="format-2"),
        pytest.param(A_CHECKPOINTS / "last.ckpt", ["last.ckpt.metadata.yaml"], id="format-3"),
        pytest.param(A_CHECKPOINTS / "epoch=10.ckpt", [], id="none"),
    ],
)
def test_sidecar_paths_lists_existing_ones_when_asked(
    checkpoint: Path, expected: list[str]
) -> None:
    assert [path.name for path in legacy_sidecar_paths(checkpoint)] == expected


def test_sidecar_paths_come_in_trust_order_when_all_three_exist(tmp_path: Path) -> None:
    checkpoint = tmp_path / "best.ckpt"
    for name in ("best.metadata.json", "best.metadata.yaml", "best.ckpt.metadata.yaml"):
        (tmp_path / name).write_text("{}")
    assert [path.name for path in legacy_sidecar_paths(checkpoint)] == [
        "best.ckpt.metadata.yaml",
        "best.metadata.yaml",
        "best.metadata.json",
    ]


def test_sidecar_paths_are_empty_when_legacy_support_is_off() -> None:
    set_legacy_enabled(False)
    assert legacy_sidecar_paths(A_CHECKPOINTS / "best.ckpt") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("a.metadata.json", LegacySidecarFormat.METADATA_JSON, id="json"),
        pytest.param("a.metadata.yaml", LegacySidecarFormat.METADATA_YAML, id="yaml"),
        pytest.param(
            "a.ckpt.metadata.yaml", LegacySidecarFormat.CKPT_METADATA_YAML, id="ckpt-yaml"
        ),
        pytest.param("a.ckpt.meta.json", None, id="new-sidecar"),
    ],
)
def test_format_follows_the_name_when_asked(
    name: str, expected: LegacySidecarFormat | None
) -> None:
    assert legacy_sidecar_format(Path(name)) is expected


def _invalid_message(path: Path, why: str) -> str:
    return (
        f"legacy checkpoint sidecar is invalid: {str(path)!r}: {why}. "
        "Fix or delete the file; the checkpoint is still found without it"
    )


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        pytest.param(
            "x.metadata.json",
            "{not json",
            "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)",
            id="json-syntax",
        ),
        pytest.param(
            "x.metadata.yaml",
            "a: [1, 2\n",
            "not valid YAML (line 2, column 1: did not find expected ',' or ']')",
            id="yaml-syntax",
        ),
        pytest.param(
            "x.ckpt.metadata.yaml",
            "- 1\n- 2\n",
            "expected a mapping at the top, got list",
            id="list",
        ),
        pytest.param(
            "x.metadata.yaml",
            "schema_version: '2.0'\ntraining: {epoch: -1, global_step: 'many'}\n"
            "metrics: {hmean: high, additional_metrics: [1]}\ncheckpointing: {mode: maximum}\n"
            "created_at: yesterday\nexp_name: 7\n",
            "field 'schema_version' must be '1.0', got '2.0'; "
            "field 'training.epoch' must be an integer >= 0, got -1; "
            "field 'training.global_step' must be an integer >= 0, got 'many'; "
            "field 'metrics.additional_metrics' must be a mapping, got [1]; "
            "field 'metrics.hmean' must be a number, got 'high'; "
            "field 'checkpointing.mode' must be 'min' or 'max', got 'maximum'; "
            "field 'created_at' must be an ISO 8601 date and time, got 'yesterday'; "
            "field 'exp_name' must be a string, got 7",
            id="every-field-problem",
        ),
        pytest.param(
            "x.metadata.json",
            json.dumps({"training": [], "metrics": 3, "created_at": 5}),
            "field 'training' must be a mapping, got []; "
            "field 'metrics' must be a mapping, got 3; "
            "field 'created_at' must be an ISO 8601 date and time, got 5",
            id="wrong-nodes",
        ),
    ],
)
def test_read_lists_every_problem_when_the_file_is_invalid(
    tmp_path: Path, name: str, text: str, why: str
) -> None:
    sidecar = tmp_path / name
    sidecar.write_text(text, encoding="utf-8")
    with pytest.raises(LegacySidecarInvalidError) as caught:
        read_legacy_sidecar(sidecar)
    assert str(caught.value) == _invalid_message(sidecar, why)
    assert caught.value.path == sidecar


def test_read_reports_the_companion_when_it_is_invalid(tmp_path: Path) -> None:
    sidecar = tmp_path / "best.metadata.json"
    sidecar.write_text(json.dumps({"training": {"epoch": 1}}))
    companion = tmp_path / "best.config.json"
    companion.write_text("[]")
    with pytest.raises(LegacySidecarInvalidError) as caught:
        read_legacy_sidecar(sidecar)
    why = f"companion legacy checkpoint sidecar is invalid: {str(companion)!r}: expected a mapping at the top, got list"
    assert str(caught.value) == _invalid_message(sidecar, why)


def test_read_refuses_when_the_name_is_not_a_legacy_sidecar(tmp_path: Path) -> None:
    sidecar = tmp_path / "best.ckpt.meta.json"
    sidecar.write_text("{}")
    with pytest.raises(LegacySidecarInvalidError) as caught:
        read_legacy_sidecar(sidecar)
    why = (
        "the name is not a legacy sidecar's; expected '<name>.ckpt.metadata.yaml', "
        "'<stem>.metadata.yaml' or '<stem>.metadata.json'"
    )
    assert str(caught.value) == _invalid_message(sidecar, why)


def test_read_refuses_when_the_file_is_not_utf8(tmp_path: Path) -> None:
    sidecar = tmp_path / "x.metadata.json"
    sidecar.write_bytes(b"\xff\xfe{")
    with pytest.raises(LegacySidecarInvalidError) as caught:
        read_legacy_sidecar(sidecar)
    assert str(caught.value) == _invalid_message(sidecar, "not UTF-8 text")


def test_read_refuses_when_legacy_support_is_off() -> None:
    set_legacy_enabled(False)
    with pytest.raises(LegacySupportDisabledError) as caught:
        read_legacy_sidecar(FORMAT_2.path)
    assert str(caught.value) == (
        f"cannot read the legacy sidecar {str(FORMAT_2.path)!r}: legacy support is off "
        "(set_legacy_enabled(False)). Use the new path, or unset OCR_LEGACY to turn legacy "
        "support back on"
    )


def test_read_keeps_a_minimal_file_when_fields_are_missing(tmp_path: Path) -> None:
    sidecar = tmp_path / "x.metadata.yaml"
    sidecar.write_text("exp_name: ''\nmodel: {architecture: DBNet, encoder: resnet50}\n")
    assert read_legacy_sidecar(sidecar) == LegacySidecar(
        path=sidecar,
        format=LegacySidecarFormat.METADATA_YAML,
        architecture="DBNet",
        encoder="resnet50",
    )
