from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given

from ocr.compat import LegacyFolders, set_legacy_enabled
from ocr.compat._shared import Era, LegacyRun, Recovered, Source, locate_legacy_run
from tests.strategies import (
    era_c_tags,
    legacy_architectures,
    legacy_encoders,
    legacy_phases,
    legacy_timestamps,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

LEGACY = Path(__file__).parents[2] / "fixtures" / "legacy"
A_EXP = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
A_DIR = LEGACY / "A" / "outputs" / A_EXP
A_FREE = LEGACY / "A" / "outputs" / "receipts v2=größer"
B_DIR = LEGACY / "B" / "outputs" / "ocr_training"
C_TAGGED = "ocr_training-unknown-unknown_training_20251009_015037"
C_FREE = "receipts v2=größer-dbnetpp-resnet50_finetune_20251010_120000"
C_OUTPUTS = LEGACY / "C" / "outputs"
C_WANDB = LEGACY / "C" / "wandb"
D_SWEEP = LEGACY / "D" / "multirun" / "2025-10-09" / "01-50-37"
SWEEP_TIME = datetime(2025, 10, 9, 1, 50, 37)


def _folder_model(**names: str) -> dict[str, Recovered[str]]:
    return {field: Recovered(name, Source.FOLDER_NAME) for field, name in names.items()}


A_RUN = LegacyRun(
    era=Era.A,
    folder=A_DIR,
    checkpoint_dir=A_DIR / "checkpoints",
    config_dir=A_DIR / ".hydra",
    name=A_EXP,
    timestamp=None,
    model=_folder_model(
        architecture="dbnet", encoder="mobilenetv3_small_050", decoder="pan_decoder"
    ),
    wandb_dir=None,
)

CASES = [
    pytest.param("A", A_DIR / "checkpoints" / "epoch=10.ckpt", A_RUN, id="A"),
    pytest.param(
        "A",
        A_DIR / "checkpoints" / "epoch_epoch=01-step_step=0546-loss_val" / "loss=1.6217.ckpt",
        A_RUN,
        id="A-slash-in-monitor",
    ),
    pytest.param(
        "A",
        A_FREE / "checkpoints" / "epoch=0-step=12.ckpt",
        LegacyRun(
            Era.A, A_FREE, A_FREE / "checkpoints", None, "receipts v2=größer", None, {}, None
        ),
        id="A-free-text-name",
    ),
    pytest.param(
        "B",
        B_DIR / "checkpoints" / "dbnet_resnet18" / "epoch=3-step=120.ckpt",
        LegacyRun(
            era=Era.B,
            folder=B_DIR,
            checkpoint_dir=B_DIR / "checkpoints" / "dbnet_resnet18",
            config_dir=B_DIR / ".hydra",
            name="ocr_training",
            timestamp=None,
            model=_folder_model(architecture="dbnet", encoder="resnet18"),
            wandb_dir=None,
        ),
        id="B",
    ),
    pytest.param(
        "B",
        B_DIR / "checkpoints" / "unknown_unknown" / "last.ckpt",
        LegacyRun(
            Era.B,
            B_DIR,
            B_DIR / "checkpoints" / "unknown_unknown",
            B_DIR / ".hydra",
            "ocr_training",
            None,
            {},
            None,
        ),
        id="B-unknown-words",
    ),
    pytest.param(
        "C",
        C_OUTPUTS / C_TAGGED / "checkpoints" / "epoch_00_step_000103_20251009_015037.ckpt",
        LegacyRun(
            era=Era.C,
            folder=C_OUTPUTS / C_TAGGED,
            checkpoint_dir=C_OUTPUTS / C_TAGGED / "checkpoints",
            config_dir=C_OUTPUTS / "receipt_detector" / ".hydra",
            name=C_TAGGED,
            timestamp=SWEEP_TIME,
            model={},
            wandb_dir=C_WANDB / "run-20251009_015037-abc123de",
        ),
        id="C-joined-through-wandb",
    ),
    pytest.param(
        "C",
        C_OUTPUTS / C_FREE / "checkpoints" / "epoch_epoch_22_step_step_001932_20251010_120000.ckpt",
        LegacyRun(
            era=Era.C,
            folder=C_OUTPUTS / C_FREE,
            checkpoint_dir=C_OUTPUTS / C_FREE / "checkpoints",
            config_dir=None,
            name=C_FREE,
            timestamp=datetime(2025, 10, 10, 12, 0),
            model=_folder_model(architecture="dbnetpp", encoder="resnet50"),
            wandb_dir=None,
        ),
        id="C-free-text-tag-without-wandb",
    ),
    pytest.param(
        "D",
        D_SWEEP / "0" / "checkpoints" / "epoch=3-step=120.ckpt",
        LegacyRun(
            Era.D,
            D_SWEEP / "0",
            D_SWEEP / "0" / "checkpoints",
            D_SWEEP / "0" / ".hydra",
            "2025-10-09/01-50-37/0",
            SWEEP_TIME,
            {},
            None,
        ),
        id="D",
    ),
    pytest.param(
        "D",
        D_SWEEP / "1" / "lightning_logs" / "version_0" / "checkpoints" / "epoch=1-step=40.ckpt",
        LegacyRun(
            Era.D,
            D_SWEEP / "1",
            D_SWEEP / "1" / "lightning_logs" / "version_0" / "checkpoints",
            D_SWEEP / "1" / ".hydra",
            "2025-10-09/01-50-37/1",
            SWEEP_TIME,
            {},
            None,
        ),
        id="D-lightning-logs",
    ),
]


@pytest.fixture(autouse=True)
def _legacy_on() -> Iterator[None]:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


def _roots(era: str) -> list[Path]:
    """The outputs folder and, as a catalog passes them, the legacy folders beside it."""
    folder = LEGACY / era
    return [folder / "outputs", *(p for p in (folder / "multirun", folder / "wandb") if p.is_dir())]


@pytest.mark.parametrize(("era", "checkpoint", "expected"), CASES)
def test_run_is_located_exactly_when_given_a_fixture_checkpoint(
    era: str, checkpoint: Path, expected: LegacyRun
) -> None:
    assert checkpoint.is_file()
    assert locate_legacy_run(checkpoint, roots=_roots(era)) == expected


def test_joined_files_are_named_when_era_c_is_joined() -> None:
    checkpoint = C_OUTPUTS / C_TAGGED / "checkpoints" / "last_20251011_004442.ckpt"
    run = locate_legacy_run(checkpoint, roots=_roots("C"))
    assert run is not None
    assert run.config_file == C_OUTPUTS / "receipt_detector" / ".hydra" / "config.yaml"
    assert (
        run.wandb_config_file == C_WANDB / "run-20251009_015037-abc123de" / "files" / "config.yaml"
    )
    assert run.config_file.is_file()
    assert run.wandb_config_file.is_file()


def test_joined_files_are_none_when_nothing_was_found() -> None:
    run = locate_legacy_run(A_FREE / "checkpoints" / "epoch=0-step=12.ckpt", roots=_roots("A"))
    assert run is not None
    assert (run.config_file, run.wandb_config_file) == (None, None)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    return path


def test_new_runs_are_era_e_when_the_layout_is_ours(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    run_dir = outputs / "2025-10-18" / "14-03-22_1"
    checkpoint = _touch(run_dir / "checkpoints" / "epoch=03-step=000120.ckpt")
    _touch(run_dir / ".hydra" / "config.yaml")
    job = outputs / "2025-10-18" / "14-05-00" / "2"
    job_checkpoint = _touch(job / "checkpoints" / "last.ckpt")
    set_legacy_enabled(False)
    assert locate_legacy_run(checkpoint, roots=[outputs]) == LegacyRun(
        Era.E,
        run_dir,
        run_dir / "checkpoints",
        run_dir / ".hydra",
        "2025-10-18/14-03-22_1",
        datetime(2025, 10, 18, 14, 3, 22),
        {},
        None,
    )
    job_run = locate_legacy_run(job_checkpoint, roots=[outputs])
    assert job_run is not None
    assert (job_run.era, job_run.folder, job_run.config_dir) == (Era.E, job, None)


def test_legacy_runs_are_not_located_when_legacy_support_is_off() -> None:
    set_legacy_enabled(False)
    assert locate_legacy_run(A_DIR / "checkpoints" / "epoch=10.ckpt", roots=_roots("A")) is None


@pytest.mark.parametrize(
    "relative",
    [
        pytest.param("elsewhere/x/checkpoints/a.ckpt", id="under-no-root"),
        pytest.param("outputs/exp/a.ckpt", id="no-checkpoints-folder"),
        pytest.param("outputs/checkpoints/a.ckpt", id="checkpoints-at-the-top"),
        pytest.param("wandb/run-20251009_015037-ab/checkpoints/a.ckpt", id="under-wandb"),
        pytest.param("multirun/notadate/01-50-37/0/checkpoints/a.ckpt", id="multirun-not-a-sweep"),
    ],
)
def test_nothing_is_located_when_the_shape_is_unknown(tmp_path: Path, relative: str) -> None:
    roots = [tmp_path / "outputs", tmp_path / "multirun", tmp_path / "wandb"]
    assert locate_legacy_run(tmp_path / relative, roots=roots) is None


def _era_c_tree(tmp_path: Path, *wandb_runs: str, config: str | None = None) -> Path:
    checkpoint = _touch(
        tmp_path / "outputs" / "tag-dbnet_training_20250101_000000" / "checkpoints" / "a.ckpt"
    )
    for run in wandb_runs:
        (tmp_path / "wandb" / run).mkdir(parents=True)
        if config is not None:
            (tmp_path / "wandb" / run / "files").mkdir()
            (tmp_path / "wandb" / run / "files" / "config.yaml").write_text(config)
    _touch(tmp_path / "outputs" / "exp" / ".hydra" / "config.yaml")
    return checkpoint


@pytest.mark.parametrize(
    ("runs", "config", "joined_wandb", "joined_config"),
    [
        pytest.param(
            ("run-20250101_000000-a", "offline-run-20250101_000000-b"),
            "exp_name: exp\n",
            None,
            None,
            id="two-wandb-runs-of-one-second",
        ),
        pytest.param(
            ("offline-run-20250101_000000-b",),
            "exp_name: exp\n",
            "offline-run-20250101_000000-b",
            "outputs/exp/.hydra",
            id="offline-run-plain-config",
        ),
        pytest.param(
            ("run-20250101_000000-a",), "seed: 1\n", "run-20250101_000000-a", None, id="no-exp-name"
        ),
        pytest.param(
            ("run-20250101_000000-a",),
            "exp_name: {value: ../exp}\n",
            "run-20250101_000000-a",
            None,
            id="exp-name-climbs",
        ),
        pytest.param(
            ("run-20250101_000000-a", "run-20250101_000001-a", "debug-internal.log"),
            None,
            "run-20250101_000000-a",
            None,
            id="no-config-file",
        ),
    ],
)
def test_era_c_joins_only_unambiguous_evidence_when_wandb_is_odd(
    tmp_path: Path,
    runs: tuple[str, ...],
    config: str | None,
    joined_wandb: str | None,
    joined_config: str | None,
) -> None:
    checkpoint = _era_c_tree(tmp_path, *runs, config=config)
    roots = [tmp_path / "outputs", tmp_path / "wandb"]
    run = locate_legacy_run(checkpoint, roots=roots)
    assert run is not None
    assert run.era is Era.C
    assert run.wandb_dir == (tmp_path / "wandb" / joined_wandb if joined_wandb else None)
    assert run.config_dir == (tmp_path / joined_config if joined_config else None)


def test_era_c_prefers_its_own_config_when_it_has_one(tmp_path: Path) -> None:
    checkpoint = _era_c_tree(tmp_path, "run-20250101_000000-a", config="exp_name: exp\n")
    own = _touch(checkpoint.parents[1] / ".hydra" / "config.yaml").parent
    run = locate_legacy_run(checkpoint, roots=[tmp_path / "outputs", tmp_path / "wandb"])
    assert run is not None
    assert run.config_dir == own


def test_era_c_sees_a_new_wandb_run_when_one_appears_after_a_scan(tmp_path: Path) -> None:
    checkpoint = _era_c_tree(tmp_path)
    (tmp_path / "wandb").mkdir()
    roots = [tmp_path / "outputs", tmp_path / "wandb"]
    first = locate_legacy_run(checkpoint, roots=roots)
    assert first is not None
    assert first.wandb_dir is None
    _touch(tmp_path / "wandb" / "run-20250101_000000-a" / "files" / "config.yaml")
    second = locate_legacy_run(checkpoint, roots=roots)
    assert second is not None
    assert second.wandb_dir == tmp_path / "wandb" / "run-20250101_000000-a"


@pytest.mark.parametrize(
    ("folder", "era", "timestamp"),
    [
        pytest.param("notag_training_20250101_000000", Era.C, datetime(2025, 1, 1), id="no-dash"),
        pytest.param("tag-dbnet_training_20251399_000000", Era.A, None, id="impossible-date"),
    ],
)
def test_era_c_needs_a_real_timestamp_when_the_name_looks_tagged(
    folder: str, era: Era, timestamp: datetime | None
) -> None:
    outputs = Path("/nowhere/outputs")
    run = locate_legacy_run(outputs / folder / "checkpoints" / "a.ckpt", roots=[outputs])
    assert run is not None
    assert (run.era, run.timestamp, run.model) == (era, timestamp, {})


def test_era_c_joins_nothing_when_the_wandb_folder_is_missing(tmp_path: Path) -> None:
    checkpoint = _era_c_tree(tmp_path)
    run = locate_legacy_run(checkpoint, roots=[tmp_path / "outputs", tmp_path / "wandb"])
    assert run is not None
    assert (run.wandb_dir, run.config_dir) == (None, None)


def test_era_a_name_gives_no_model_when_its_words_are_not_known() -> None:
    checkpoint = Path("/nowhere/outputs/base-dbnet-mystery_decoder-resnet18/checkpoints/a.ckpt")
    run = locate_legacy_run(checkpoint, roots=[Path("/nowhere/outputs")])
    assert run is not None
    assert (run.era, run.model) == (Era.A, {})


FAKE_OUTPUTS = Path("/nonexistent-legacy-root/outputs")


@given(
    tag=era_c_tags,
    architecture=legacy_architectures,
    encoder=legacy_encoders,
    phase=legacy_phases,
    stamp=legacy_timestamps,
)
def test_era_c_folder_names_parse_back_when_the_tag_is_free_text(
    tag: str, architecture: str, encoder: str | None, phase: str, stamp: datetime
) -> None:
    model = f"{architecture}-{encoder}" if encoder else architecture
    name = f"{tag}-{model}_{phase}_{stamp:%Y%m%d_%H%M%S}"
    checkpoint = FAKE_OUTPUTS / name / "checkpoints" / "last.ckpt"
    run = locate_legacy_run(checkpoint, roots=[FAKE_OUTPUTS])
    expected = {"architecture": architecture, "encoder": encoder}
    known = {key: value for key, value in expected.items() if value and value != "unknown"}
    assert run == LegacyRun(
        Era.C,
        FAKE_OUTPUTS / name,
        FAKE_OUTPUTS / name / "checkpoints",
        None,
        name,
        stamp,
        _folder_model(**known),
        None,
    )


def test_sweep_and_wandb_folders_of_other_names_are_read_when_named(tmp_path: Path) -> None:
    shutil.copytree(LEGACY / "D" / "multirun", tmp_path / "old sweeps")
    shutil.copytree(LEGACY / "C" / "wandb", tmp_path / "wb")
    shutil.copytree(LEGACY / "C" / "outputs", tmp_path / "outputs")
    sweeps, wb, outputs = tmp_path / "old sweeps", tmp_path / "wb", tmp_path / "outputs"
    roots = [outputs, sweeps, wb]
    named = LegacyFolders(multirun=sweeps, wandb=wb)
    job = sweeps / "2025-10-09" / "01-50-37" / "0" / "checkpoints" / "epoch=3-step=120.ckpt"
    tagged = next(
        (outputs / "ocr_training-unknown-unknown_training_20251009_015037").rglob("*.ckpt")
    )

    unnamed = locate_legacy_run(job, roots=roots)  # by name, "old sweeps" is an outputs root
    assert unnamed is not None and unnamed.era is Era.E
    sweep_run = locate_legacy_run(job, roots=roots, legacy=named)
    assert sweep_run is not None and sweep_run.era is Era.D
    assert (
        locate_legacy_run(wb / "run-20251009_015037-abc123de" / "x.ckpt", roots=roots, legacy=named)
        is None
    )
    unjoined = locate_legacy_run(tagged, roots=roots)
    joined = locate_legacy_run(tagged, roots=roots, legacy=named)
    assert unjoined is not None and unjoined.wandb_dir is None
    assert joined is not None and joined.wandb_dir == wb / "run-20251009_015037-abc123de"
    assert joined.config_dir == outputs / "receipt_detector" / ".hydra"
    assert LegacyFolders.beside(outputs) == LegacyFolders()
    (tmp_path / "multirun").symlink_to(sweeps)
    (tmp_path / "wandb").mkdir()
    assert LegacyFolders.beside(outputs) == LegacyFolders(wandb=tmp_path / "wandb")
