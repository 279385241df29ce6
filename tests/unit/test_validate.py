from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from ocr.atomic import atomic_write_text
from ocr.catalog import CatalogEntry, CheckpointCatalog
from ocr.compat import MigrationMapping, mapping_file, read_mapping, set_legacy_enabled
from ocr.errors import (
    InputPathError,
    MetadataInvalidError,
    MigrationMappingInvalidError,
    RecordInvalidError,
)
from ocr.layout import RootLayout, RunLayout, SweepLayout, allocate_launch_dir
from ocr.metadata import read_metadata
from ocr.naming import sidecar_path
from ocr.recipe import hash_saved_config
from ocr.registry import ExperimentRegistry, read_record
from ocr.validate import (
    CHECKS,
    Check,
    Counts,
    Problem,
    ProblemKind,
    ValidationReport,
    render_json,
    validate_root,
)
from tests.sidecar_checkpoints import save_checkpoint as save_with_sidecar

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
CONFIG = "model:\n  encoder: tiny_resnet\n  lr: 0.01\nname: ${model.encoder}-run\n"
FIRST = "2025-10-18/14-03-22"
SWEEP_JOB = "2025-10-18/15-03-22/0"
BEST = "epoch=03-step=000120-val_hmean=0.9123.ckpt"


def make_run(root: Path, run_dir: Path, *, config: str | None = CONFIG) -> str | None:
    """A run folder with its saved config and a real record; returns the config hash."""
    run_dir.mkdir(parents=True, exist_ok=True)
    layout = RunLayout(run_dir)
    digest = None
    if config is not None:
        layout.hydra_dir.mkdir()
        atomic_write_text(layout.config_file, config)
        digest = hash_saved_config(layout.config_file)
    ExperimentRegistry(root).start_run(run_dir, name="run", config_hash=digest)
    return digest


def save_checkpoint(
    run_dir: Path, name: str, *, epoch: int, step: int, config_hash: str | None
) -> Path:
    """A checkpoint file with a real, consistent sidecar."""
    return save_with_sidecar(
        run_dir, name, epoch=epoch, step=step, config={"config_hash": config_hash}
    )


def write_mapping(
    root: Path,
    migration_id: str,
    entries: dict[str, str],
    *,
    created_at: datetime = datetime(2025, 10, 20, tzinfo=UTC),
    recorded_root: str | None = None,
) -> Path:
    """A real migration mapping file, written the way the migrator writes it."""
    mapping = MigrationMapping(
        migration_id=migration_id,
        created_at=created_at,
        root=recorded_root or root.as_posix(),
        entries=entries,
    )
    target = mapping_file(root, migration_id)
    target.parent.mkdir(parents=True)
    atomic_write_text(target, mapping.model_dump_json(indent=2))
    return target


def build_healthy_root(root: Path) -> Path:
    """A root where every check holds: a run, a sweep job, a legacy folder and a mapping."""
    root.mkdir(parents=True)
    first = allocate_launch_dir(root, now=LAUNCH)
    digest = make_run(root, first)
    save_checkpoint(first, "epoch=00-step=000040.ckpt", epoch=0, step=40, config_hash=digest)
    save_checkpoint(first, BEST, epoch=3, step=120, config_hash=digest)
    save_checkpoint(first, "last.ckpt", epoch=4, step=160, config_hash=digest)
    sweep = allocate_launch_dir(root, now=LAUNCH + timedelta(hours=1))
    atomic_write_text(SweepLayout(sweep).multirun_file, "hydra: {}\n")
    job = SweepLayout(sweep).job_dir(0)
    job_hash = make_run(root, job, config=CONFIG.replace("0.01", "0.02"))
    save_checkpoint(job, "epoch=01-step=000010.ckpt", epoch=1, step=10, config_hash=job_hash)
    save_checkpoint(job, "epoch=02-step=000020.ckpt", epoch=2, step=20, config_hash=None)
    legacy = root / "exp1" / "checkpoints"  # era A: no sidecar needed
    legacy.mkdir(parents=True)
    (legacy / "epoch=67-step=18564.ckpt").write_bytes(b"legacy")
    old, new = f"{root.name}/exp0/checkpoints/best.ckpt", f"{root.name}/{FIRST}/checkpoints/{BEST}"
    write_mapping(root, "m1", {old: new})
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_healthy_root(tmp_path / "outputs")


def _only(report: ValidationReport) -> Problem:
    assert not report.ok
    (problem,) = report.problems
    return problem


def _claimed_hash(root: Path) -> str:
    claimed = read_metadata(sidecar_path(root / FIRST / "checkpoints" / BEST)).config.config_hash
    assert claimed is not None
    return claimed


def test_every_check_holds_when_the_root_is_healthy(root: Path) -> None:
    report = validate_root(root)
    assert report.problems == []
    assert report.ok
    assert report.checks == list(CHECKS) == list(Check)
    assert report.root == root.as_posix()
    assert report.counts == Counts(
        checkpoints=6,
        sidecars=5,
        config_hashes=6,
        runs=2,
        records=2,
        mappings=1,
        mapping_entries=1,
    )


def test_validation_changes_nothing_but_the_catalog_index_when_run(root: Path) -> None:
    validate_root(root)  # the first scan writes the catalog's index
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    validate_root(root)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_a_bad_root_is_refused_with_one_line_when_missing_or_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(InputPathError) as info:
        validate_root(missing)
    assert str(info.value) == (
        f"output root {str(missing)!r} is not a folder ({str(missing)!r}). "
        "Pass the folder that holds your runs (default: ./outputs)"
    )
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputPathError):
        validate_root(a_file)


def test_a_checkpoint_is_undiscoverable_when_the_catalog_misses_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scan = CheckpointCatalog.scan
    best = root / FIRST / "checkpoints" / BEST

    def scan_without_best(self: CheckpointCatalog, *, rescan: bool = False) -> list[CatalogEntry]:
        return [e for e in real_scan(self, rescan=rescan) if e.path != str(best)]

    monkeypatch.setattr(CheckpointCatalog, "scan", scan_without_best)
    problem = _only(validate_root(root))
    assert problem == Problem(
        check=Check.CATALOG,
        kind=ProblemKind.CHECKPOINT_UNDISCOVERABLE,
        path=f"outputs/{FIRST}/checkpoints/{BEST}",
        message="the catalog does not find this checkpoint. Rescan with "
        "`ocr catalog ROOT --rescan`; if it is still missing, report a bug",
    )


def test_a_checkpoint_is_undiscoverable_when_it_is_a_dangling_link(root: Path) -> None:
    (root / "exp1" / "checkpoints" / "gone.ckpt").symlink_to(root / "nowhere.ckpt")
    problem = _only(validate_root(root))
    assert (problem.kind, problem.path) == (
        ProblemKind.CHECKPOINT_UNDISCOVERABLE,
        "outputs/exp1/checkpoints/gone.ckpt",
    )
    assert problem.message == (
        "the file cannot be read (a dangling link?), so the catalog skips it. "
        "Restore what it points to, or remove it"
    )


def test_a_folder_is_reported_when_it_cannot_be_listed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = str(root / "exp1")
    real_scandir = os.scandir

    def scandir(path: str) -> Iterator[os.DirEntry[str]]:
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    # The walk, the layout's run folders and the catalog all meet the folder.
    monkeypatch.setattr(os, "scandir", scandir)
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.FOLDER_UNREADABLE,
        "outputs/exp1",
        "the folder cannot be listed (Permission denied), so nothing in it can be checked. "
        "Make it readable",
    )


def test_a_sidecar_is_missing_when_a_new_checkpoint_has_none(root: Path) -> None:
    sidecar_path(root / FIRST / "checkpoints" / "last.ckpt").unlink()
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.SIDECAR_MISSING,
        f"outputs/{FIRST}/checkpoints/last.ckpt",
        "the checkpoint has no sidecar, so its model, metrics and config are unknown. Save "
        "checkpoints with UniqueModelCheckpoint (it writes the sidecar), or write one with "
        "ocr.metadata.write_metadata",
    )


def test_a_sidecar_is_invalid_when_it_breaks_the_schema(root: Path) -> None:
    sidecar = sidecar_path(root / FIRST / "checkpoints" / "last.ckpt")
    sidecar.write_text('{"schema_version": 1, "checkpoint": {}}')
    with pytest.raises(MetadataInvalidError) as info:
        read_metadata(sidecar)
    problem = _only(validate_root(root))
    assert (problem.check, problem.kind) == (Check.SIDECARS, ProblemKind.SIDECAR_INVALID)
    assert problem.path == f"outputs/{FIRST}/checkpoints/last.ckpt.meta.json"
    assert problem.message == str(info.value)
    assert problem.message.endswith("Fix or delete the file; `ocr validate` lists every such file")


def test_a_sidecar_mismatch_lists_every_disagreement_when_the_checkpoint_differs(
    root: Path,
) -> None:
    checkpoints = RunLayout(root / FIRST).checkpoint_dir
    first = checkpoints / "epoch=00-step=000040.ckpt"
    wrong = checkpoints / "epoch=05-step=000200-val_hmean=0.9123.ckpt"
    sidecar_path(first).rename(sidecar_path(wrong))
    first.rename(wrong)
    wrong.write_bytes(b"longer than before" * 10)
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.SIDECAR_MISMATCH,
        f"outputs/{FIRST}/checkpoints/{wrong.name}.meta.json",
        f"the sidecar disagrees with its checkpoint: file_name is {first.name!r}, the checkpoint "
        f"is {wrong.name!r}; size_bytes is 40, the checkpoint has 180 bytes; epoch is 0, the file "
        "name says 5; global_step is 40, the file name says 200. Restore the checkpoint it "
        "describes, or delete the sidecar",
    )


def test_a_sidecar_is_an_orphan_when_its_checkpoint_is_gone(root: Path) -> None:
    (root / FIRST / "checkpoints" / "last.ckpt").unlink()
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.SIDECAR_ORPHAN,
        f"outputs/{FIRST}/checkpoints/last.ckpt.meta.json",
        "the sidecar's checkpoint is gone. Restore the checkpoint, or delete the sidecar",
    )


def test_config_hashes_mismatch_when_the_saved_config_changed(root: Path) -> None:
    config = RunLayout(root / SWEEP_JOB).config_file
    old_hash = hash_saved_config(config)
    atomic_write_text(config, CONFIG.replace("0.01", "0.5"))
    new_hash = hash_saved_config(config)
    report = validate_root(root)
    assert [p.path for p in report.problems] == [
        f"outputs/{SWEEP_JOB}/checkpoints/epoch=01-step=000010.ckpt.meta.json",
        f"outputs/{SWEEP_JOB}/run.json",
    ]
    assert {p.kind for p in report.problems} == {ProblemKind.CONFIG_HASH_MISMATCH}
    assert report.problems[0].message == (
        f"config_hash {old_hash[:12]}... does not match the run's saved config "
        f"'outputs/{SWEEP_JOB}/.hydra/config.yaml' (hash {new_hash[:12]}...): the config "
        "changed after training. Restore the saved config the run trained with"
    )


def test_config_is_missing_when_a_run_lost_its_saved_config(root: Path) -> None:
    config = RunLayout(root / FIRST).config_file
    config.unlink()
    report = validate_root(root)
    assert len(report.problems) == 4  # three sidecars and the record claim a hash
    assert {p.kind for p in report.problems} == {ProblemKind.CONFIG_MISSING}
    claimed = read_record(RunLayout(root / FIRST).record_file).config_hash
    assert claimed is not None
    assert report.problems[-1] == Problem.of(
        ProblemKind.CONFIG_MISSING,
        f"outputs/{FIRST}/run.json",
        f"config_hash {claimed[:12]}... cannot be checked: the run has no saved config "
        f"'outputs/{FIRST}/.hydra/config.yaml'. Restore the run's saved config, or remove the "
        "config_hash",
    )


def test_config_is_missing_when_a_sidecar_with_a_hash_is_in_no_run(root: Path) -> None:
    loose = root / "loose"
    loose.mkdir()
    source = root / FIRST / "checkpoints" / BEST
    for path in (source, sidecar_path(source)):
        shutil.copy2(path, loose / path.name)
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.CONFIG_MISSING,
        f"outputs/loose/{BEST}.meta.json",
        f"config_hash {_claimed_hash(root)[:12]}... cannot be checked: the file is in no run "
        "folder. Move it into its run folder, or remove its config_hash",
    )


def test_config_is_invalid_once_per_run_when_it_cannot_be_hashed(root: Path) -> None:
    config = RunLayout(root / FIRST).config_file
    atomic_write_text(config, "model: [unclosed\n")
    with pytest.raises(MetadataInvalidError) as info:
        hash_saved_config(config)
    problem = _only(validate_root(root))
    assert (problem.kind, problem.path) == (
        ProblemKind.CONFIG_INVALID,
        f"outputs/{FIRST}/.hydra/config.yaml",
    )
    assert problem.message == (
        f"the saved config cannot be hashed ({' '.join(str(info.value).split())}). Fix or "
        "restore it, so its run's config hashes can be checked"
    )
    assert "\n" not in problem.message


def test_config_is_invalid_when_it_is_not_utf8_text(root: Path) -> None:
    RunLayout(root / FIRST).config_file.write_bytes(b"model: caf\xe9\n")  # Latin-1
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.CONFIG_INVALID,
        f"outputs/{FIRST}/.hydra/config.yaml",
        "the saved config is not UTF-8 text. Fix or restore it, so its run's config hashes "
        "can be checked",
    )


def test_a_record_is_missing_when_a_run_folder_has_none(root: Path) -> None:
    RunLayout(root / SWEEP_JOB).record_file.unlink()
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.RECORD_MISSING,
        f"outputs/{SWEEP_JOB}",
        "the run folder has no experiment record (run.json), so the registry does not know it. "
        "Launch with `- ocr` (or `- hydra/ocr_layout`) in the defaults list, or record runs with "
        "the ExperimentRecorder callback; move the folder out of the output root if it is no run",
    )


def test_a_record_log_is_missing_when_the_record_names_a_log_that_is_not_there(
    root: Path,
) -> None:
    record_file = RunLayout(root / FIRST).record_file
    ExperimentRegistry(root).update_run(root / FIRST, log_file="train.log")
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.RECORD_LOG_MISSING,
        f"outputs/{FIRST}/run.json",
        "the record's log_file 'train.log' does not exist: the job logged elsewhere, or the log "
        "was removed. Restore the log, or set log_file to the log the job wrote",
    )
    (record_file.parent / "train.log").write_text("a log line\n")
    assert validate_root(root).ok


def test_a_record_is_invalid_when_it_is_not_a_record(root: Path) -> None:
    record = RunLayout(root / FIRST).record_file
    record.write_text("[]")
    with pytest.raises(RecordInvalidError) as info:
        read_record(record)
    problem = _only(validate_root(root))
    assert (problem.kind, problem.path, problem.message) == (
        ProblemKind.RECORD_INVALID,
        f"outputs/{FIRST}/run.json",
        str(info.value),
    )


def test_a_record_is_misplaced_when_its_folder_was_moved(root: Path) -> None:
    moved = "2025-10-18/14-03-22_4"
    (root / FIRST).rename(root / moved)
    write_mapping(root, "m2", {"outputs/exp0": f"outputs/{moved}"})  # keep m1 pointing somewhere
    report = validate_root(root)
    record = next(p for p in report.problems if p.kind is ProblemKind.RECORD_MISPLACED)
    assert record == Problem.of(
        ProblemKind.RECORD_MISPLACED,
        f"outputs/{moved}/run.json",
        f"the record says run_dir {FIRST!r} but is in {moved!r}: the folder was moved or "
        "copied by hand. Move it back, or set run_dir to where it is",
    )


def test_a_record_id_is_duplicated_when_a_run_folder_was_copied(root: Path) -> None:
    copy = "2025-10-18/16-00-00"
    shutil.copytree(root / FIRST, root / copy)
    report = validate_root(root)
    assert [(p.kind, p.path) for p in report.problems_of(Check.RECORDS)] == [
        (ProblemKind.RECORD_DUPLICATE_ID, f"outputs/{copy}/run.json"),
        (ProblemKind.RECORD_MISPLACED, f"outputs/{copy}/run.json"),
    ]
    record_id = read_record(RunLayout(root / FIRST).record_file).id
    assert report.problems_of(Check.RECORDS)[0].message == (
        f"the record has the ID {record_id!r}, as has 'outputs/{FIRST}/run.json': a run folder "
        "was copied. Remove the copy, or delete its run.json and register it again"
    )
    assert report.problems == report.problems_of(Check.RECORDS)


def test_a_mapping_is_invalid_when_it_breaks_the_schema(root: Path) -> None:
    broken = mapping_file(root, "m2")
    broken.parent.mkdir()
    broken.write_text('{"schema_version": 1, "migration_id": "m2"}')
    with pytest.raises(MigrationMappingInvalidError) as info:
        read_mapping(broken)
    problem = _only(validate_root(root))
    assert (problem.check, problem.kind, problem.path, problem.message) == (
        Check.MAPPINGS,
        ProblemKind.MAPPING_INVALID,
        "outputs/.ocr/migrations/m2/mapping.json",
        str(info.value),
    )


def test_a_mapping_target_is_missing_when_the_new_path_is_gone(root: Path) -> None:
    (root / FIRST / "checkpoints" / BEST).unlink()
    sidecar_path(root / FIRST / "checkpoints" / BEST).unlink()
    problem = _only(validate_root(root))
    new = f"outputs/{FIRST}/checkpoints/{BEST}"
    assert problem == Problem.of(
        ProblemKind.MAPPING_TARGET_MISSING,
        "outputs/.ocr/migrations/m1/mapping.json",
        f"entry 'outputs/exp0/checkpoints/best.ckpt' -> {new!r} points at nothing: {new!r} does "
        "not exist. Restore it there from a backup; if it was deleted on purpose, the old path "
        "no longer translates to anything",
    )


def test_a_mapping_holds_when_a_later_migration_carried_its_target_on(root: Path) -> None:
    moved = "outputs/2025-10-18/14-03-22_1"
    (root / FIRST).rename(root.parent / moved)
    write_mapping(
        root, "m2", {f"outputs/{FIRST}": moved}, created_at=datetime(2025, 10, 21, tzinfo=UTC)
    )
    report = validate_root(root)
    assert report.problems_of(Check.MAPPINGS) == []
    assert report.counts.mappings == 2


def test_a_mapping_resolves_under_the_root_when_the_root_was_renamed(tmp_path: Path) -> None:
    root = build_healthy_root(tmp_path / "renamed")
    mapping_file(root, "m1").unlink()
    write_mapping(
        root,
        "m1b",
        {"outputs/exp0/checkpoints/best.ckpt": f"outputs/{FIRST}/checkpoints/{BEST}"},
        recorded_root="/elsewhere/outputs",
    )
    assert validate_root(root).ok


def test_the_report_is_a_frozen_model_that_refuses_contradictions_when_built() -> None:
    problem = Problem.of(ProblemKind.SIDECAR_ORPHAN, "outputs/x", "gone. Restore it")
    with pytest.raises(ValidationError, match="belongs to check 'sidecars'"):
        Problem(check=Check.RECORDS, kind=ProblemKind.SIDECAR_ORPHAN, path="x", message="m")
    with pytest.raises(ValidationError, match="ok must be False with 1 problem"):
        ValidationReport(root="/r", ok=True, checks=[], counts=Counts(), problems=[problem])
    with pytest.raises(ValidationError):
        problem.path = "elsewhere"  # type: ignore[misc]


def test_the_json_reads_back_equal_when_parsed(root: Path) -> None:
    RunLayout(root / SWEEP_JOB).record_file.unlink()
    report = validate_root(root)
    assert ValidationReport.model_validate_json(render_json(report)) == report


def test_problems_come_in_check_then_path_order_when_many(root: Path) -> None:
    mapping_file(root, "m1").write_text("{")
    RunLayout(root / SWEEP_JOB).record_file.unlink()
    (root / FIRST / "checkpoints" / "last.ckpt").unlink()
    sidecar_path(root / SWEEP_JOB / "checkpoints" / "epoch=02-step=000020.ckpt").unlink()
    report = validate_root(root)
    assert [(p.check, p.kind) for p in report.problems] == [
        (Check.SIDECARS, ProblemKind.SIDECAR_ORPHAN),
        (Check.SIDECARS, ProblemKind.SIDECAR_MISSING),
        (Check.RECORDS, ProblemKind.RECORD_MISSING),
        (Check.MAPPINGS, ProblemKind.MAPPING_INVALID),
    ]


def test_state_folder_and_folder_links_are_not_walked_when_present(root: Path) -> None:
    stray = RootLayout(root).state_dir / "stray"
    stray.mkdir()
    (stray / "x.ckpt").write_bytes(b"not a checkpoint of the tree")
    (root / "linked").symlink_to(root / FIRST, target_is_directory=True)
    report = validate_root(root)
    assert report.ok
    assert report.counts.checkpoints == 6


def test_unreadable_files_are_problems_when_they_cannot_be_read(root: Path) -> None:
    config = RunLayout(root / FIRST).config_file
    config.unlink()
    config.mkdir()  # a folder where the config should be: no regular file, not read
    sidecar = sidecar_path(root / SWEEP_JOB / "checkpoints" / "epoch=01-step=000010.ckpt")
    sidecar.unlink()
    sidecar.symlink_to(root / "nowhere.json")
    record = RunLayout(root / SWEEP_JOB).record_file
    record.unlink()
    record.symlink_to(root / "nowhere.json")
    report = validate_root(root)
    assert [(p.kind, p.path, p.message) for p in report.problems] == [
        (
            ProblemKind.SIDECAR_INVALID,
            f"outputs/{SWEEP_JOB}/checkpoints/epoch=01-step=000010.ckpt.meta.json",
            "the sidecar cannot be read (No such file or directory). Make it readable",
        ),
        (
            ProblemKind.CONFIG_INVALID,
            f"outputs/{FIRST}/.hydra/config.yaml",
            "the saved config cannot be read (a folder, not a regular file). Fix or restore it, so its run's "
            "config hashes can be checked",
        ),
        (
            ProblemKind.RECORD_INVALID,
            f"outputs/{SWEEP_JOB}/run.json",
            "the record cannot be read (No such file or directory). Make it readable",
        ),
    ]


def test_every_check_holds_when_legacy_support_is_off(root: Path) -> None:
    set_legacy_enabled(False)
    try:
        report = validate_root(root)
    finally:
        set_legacy_enabled(None)
    assert report.ok
    assert report.counts.checkpoints == 6


def test_a_mapping_target_is_judged_alone_when_another_mapping_is_invalid(root: Path) -> None:
    mapping_file(root, "m1").write_text("{")
    write_mapping(root, "m2", {"outputs/exp9": "outputs/2025-10-18/09-00-00"})
    report = validate_root(root)
    assert [p.kind for p in report.problems] == [
        ProblemKind.MAPPING_INVALID,
        ProblemKind.MAPPING_TARGET_MISSING,
    ]
    assert report.counts.mapping_entries == 1


def test_a_mapping_is_invalid_when_it_cannot_be_read(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(path: Path) -> MigrationMapping:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("ocr.validate._mappings.read_mapping", unreadable)
    problem = _only(validate_root(root))
    assert problem == Problem.of(
        ProblemKind.MAPPING_INVALID,
        "outputs/.ocr/migrations/m1/mapping.json",
        "the mapping cannot be read (Permission denied). Make it readable",
    )


def test_a_folder_checkpoint_is_checked_like_a_file_when_validated(root: Path) -> None:
    folder = RunLayout(root / FIRST).checkpoint_dir / "sharded.ckpt"
    (folder / "shards").mkdir(parents=True)
    (folder / "shards" / "0.distcp").write_bytes(b"s" * 64)
    report = validate_root(root)
    assert report.counts.checkpoints == 7  # six files and one folder
    assert _only(report) == Problem.of(
        ProblemKind.SIDECAR_MISSING,
        f"outputs/{FIRST}/checkpoints/sharded.ckpt",
        "the checkpoint has no sidecar, so its model, metrics and config are unknown. Save "
        "checkpoints with UniqueModelCheckpoint (it writes the sidecar), or write one with "
        "ocr.metadata.write_metadata",
    )
