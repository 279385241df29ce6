"""The steps that make a moved legacy folder a run: rewritten paths, sidecars, records.

Old paths in text files (``.hydra/*.yaml``, legacy sidecars, logs) are
rewritten to the new places, the original bytes kept in the migration's
folder. Every checkpoint gets a sidecar (provenance ``migrated``), every run
(or sweep job) a record, every sweep a sweep record; the config hash is the
one of the config as it reads after the rewrite, so that ``ocr validate``
agrees with it.

In a rewrite (:func:`rewrite_paths`), an old folder is replaced only as a whole path segment: ``outputs/exp1`` is
rewritten inside ``/data/outputs/exp1/checkpoints/x.ckpt`` and
``dir: outputs/exp1``, but not inside ``outputs/exp10`` or ``myoutputs/exp1``.
Only a run's own folders are rewritten in its own files.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr._json import model_json
from ocr._reading import read_capped
from ocr._suspicious import alias_target
from ocr.compat._shared import Era, parse_legacy_name
from ocr.errors import MetadataInvalidError, RunPathParseError
from ocr.layout import RootLayout, RunLayout, SweepLayout
from ocr.metadata import ConfigInfo, ExperimentInfo
from ocr.migrate._derived import (
    RunFacts,
    migrated_record,
    migrated_sidecar,
    migrated_sweep_record,
    read_overrides,
)
from ocr.migrate._model import ActionKind
from ocr.naming import CHECKPOINT_SUFFIX, sidecar_path
from ocr.recipe import hash_config_text
from ocr.registry import new_experiment_id

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ocr.catalog import CatalogEntry
    from ocr.metadata import EnvironmentInfo
    from ocr.migrate._placement import Target
    from ocr.migrate._plan import Steps

__all__ = [
    "MAX_REWRITTEN_BYTES",
    "REWRITTEN_SUFFIXES",
    "RunFileContext",
    "plan_run_files",
    "rewrite_paths",
]

_LOG_SUFFIX: Final = ".log"


@dataclass(frozen=True)
class RunFileContext:
    """What every run's files need to know about the migration.

    Args:
        root: The output root.
        now: When the migration was planned.
        environment: The environment running it.
        entries: The catalog's description of every legacy checkpoint, by path.
        warnings: Where to report what could not be done.
    """

    root: Path
    now: datetime
    environment: EnvironmentInfo
    entries: dict[str, CatalogEntry]
    warnings: list[str]


def plan_run_files(target: Target, steps: Steps, context: RunFileContext) -> None:
    """Add the rewrite, sidecar and record steps of one migrated experiment.

    Args:
        target: The experiment and its new folder (its moves already planned).
        steps: Where the steps go.
        context: The migration's shared facts.
    """
    texts = _rewrite_texts(target, steps)
    if target.unit.era is Era.D:
        _plan_sweep(target, steps, context, texts)
    else:
        _plan_run(target, target.folder, steps, context, texts, sweep=None)


def _rewrite_texts(target: Target, steps: Steps) -> dict[Path, str]:
    """Plan the rewrites; return every text file's content as it will read (new path -> text)."""
    replacements = [(steps.rel(t.old), steps.rel(t.new)) for t in target.transfers]
    texts: dict[Path, str] = {}
    for transfer in target.transfers:
        for old, new, inside in transfer.files():
            facts = transfer.inventory.files[inside]
            if new.suffix not in REWRITTEN_SUFFIXES or facts.size > MAX_REWRITTEN_BYTES:
                continue
            if transfer.inventory.in_folder_checkpoint(inside):
                continue  # part of a checkpoint: its bytes are never changed
            text = _read_text(old)
            if text is None:
                continue
            rewritten = rewrite_paths(text, replacements)
            texts[new] = rewritten
            if rewritten is not text:
                steps.add(
                    "rewrites",
                    ActionKind.REWRITE,
                    new,
                    "old paths rewritten",
                    keep_original=True,
                    replacements=replacements,
                )
    return texts


def _plan_sweep(
    target: Target, steps: Steps, context: RunFileContext, texts: dict[Path, str]
) -> None:
    sweep_id = new_experiment_id(_ns(target.launched))
    sweep_dir = target.folder.relative_to(context.root).as_posix()
    record = migrated_sweep_record(sweep_id, launched=target.launched, sweep_dir=sweep_dir)
    sweep_file = SweepLayout(target.folder).record_file
    _write(target, steps, sweep_file, model_json(record, indent=2), purpose="record")
    layout = RootLayout(context.root)
    for name in sorted(target.unit.inventory.folders):
        if not name or "/" in name:
            continue
        try:
            job_num = layout.location_of(target.folder / name).job_num
        except RunPathParseError:
            continue
        if job_num is not None:
            _plan_run(
                target, target.folder / name, steps, context, texts, sweep=(sweep_id, job_num)
            )


def _plan_run(
    target: Target,
    run_dir: Path,
    steps: Steps,
    context: RunFileContext,
    texts: dict[Path, str],
    *,
    sweep: tuple[str, int] | None,
) -> None:
    experiment_id = new_experiment_id(_ns(target.launched))
    target.experiment_ids.append(experiment_id)
    layout = RunLayout(run_dir)
    config = _config_info(target, layout, texts, context)
    experiment = ExperimentInfo(
        id=experiment_id,
        name=target.unit.name if sweep is None else f"{target.unit.name}/{sweep[1]}",
        run_dir=run_dir.relative_to(context.root).as_posix(),
        sweep_id=None if sweep is None else sweep[0],
        job_num=None if sweep is None else sweep[1],
    )
    facts = RunFacts(experiment=experiment, config=config, environment=context.environment)
    inventory = target.unit.inventory
    prefix = run_dir.relative_to(target.folder).as_posix() + "/" if run_dir != target.folder else ""
    # An alias (a link to a checkpoint beside it) is described by its target's sidecar.
    linked = [
        path
        for path in inventory.links
        if path.endswith(CHECKPOINT_SUFFIX) and alias_target(str(inventory.folder / path)) is None
    ]
    every = inventory.checkpoints() + inventory.folder_checkpoints() + linked
    checkpoints = [path for path in every if path.startswith(prefix)]
    described: list[tuple[str, CatalogEntry]] = []
    for relative in checkpoints:
        legacy = inventory.folder / relative
        entry = context.entries.get(str(legacy))
        if entry is None:
            context.warnings.append(
                f"{steps.rel(legacy)}: the catalog does not see this checkpoint; no sidecar written"
            )
            continue
        new = target.folder / relative
        facts_of_file = inventory.files.get(relative)
        # A folder checkpoint has its folder's mtime; a link the catalog lists
        # is described by its target (stat follows it).
        mtime_ns = (
            facts_of_file.mtime_ns
            if facts_of_file
            else inventory.folders.get(relative) or legacy.stat().st_mtime_ns
        )
        metadata = migrated_sidecar(entry, file_name=new.name, mtime_ns=mtime_ns, run=facts)
        sidecar = sidecar_path(new)
        _write(target, steps, sidecar, model_json(metadata, indent=2), purpose="sidecar")
        described.append((relative.removeprefix(prefix), entry))
    files = [path for path in inventory.files if path.startswith(prefix)]
    last_ns = max((inventory.files[path].mtime_ns for path in files), default=inventory.folders[""])
    logs = sorted(
        path.removeprefix(prefix)
        for path in files
        if path.endswith(_LOG_SUFFIX) and "/" not in path.removeprefix(prefix)
    )
    record = migrated_record(
        experiment=experiment,
        config=config,
        launched=target.launched,
        now=context.now,
        checkpoints=described,
        last_activity_ns=last_ns,
        log_file=logs[0] if logs else None,
    )
    _write(target, steps, layout.record_file, model_json(record, indent=2), purpose="record")
    versions = {parse_legacy_name(Path(Path(path).name)).version for path in checkpoints}
    if len(versions) > 1:
        target.notes.append(
            f"{steps.rel(run_dir)} holds the checkpoints of several runs of the same name "
            "(best/last with -vN suffixes); they stay together in this folder, each "
            "sidecar keeping its own file's time"
        )


def _config_info(
    target: Target, layout: RunLayout, texts: dict[Path, str], context: RunFileContext
) -> ConfigInfo:
    config_text = texts.get(layout.config_file)
    overrides_text = texts.get(layout.overrides_file)
    joined = target.unit.config_dir
    if config_text is None and joined is not None and target.unit.joined_folder is not None:
        # A copy of the joined config lands in the run folder unchanged.
        config_text = _read_text(RunLayout(joined.parent).config_file)
        overrides_text = _read_text(RunLayout(joined.parent).overrides_file)
    overrides = read_overrides(overrides_text)
    if config_text is None:
        return ConfigInfo(overrides=overrides)
    try:
        digest = hash_config_text(config_text, origin=layout.config_file)
    except MetadataInvalidError as exc:
        context.warnings.append(f"{layout.config_file}: {exc}; its runs get no config hash")
        return ConfigInfo(overrides=overrides)
    config_path = layout.config_file.relative_to(layout.run_dir).as_posix()
    return ConfigInfo(config_hash=digest, overrides=overrides, config_path=config_path)


def _write(target: Target, steps: Steps, path: Path, text: str, *, purpose: str) -> None:
    """Write a new file; a file already there (brought by the move) is kept for rollback."""
    steps.add(
        "writes", ActionKind.WRITE, path, purpose, text=text, keep_original=target.brings(path)
    )


def _read_text(path: Path) -> str | None:
    """A file's text, line endings untouched; ``None`` when unreadable or not UTF-8."""
    try:
        return read_capped(path, limit=MAX_REWRITTEN_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):  # no regular file (a FIFO), too large, not text
        return None


def _ns(moment: datetime) -> int:
    return int(moment.astimezone().timestamp() * 1e9)


REWRITTEN_SUFFIXES: Final = frozenset({".yaml", ".yml", ".log", ".json", ".txt"})
"""Files that may name paths: Hydra configs, legacy sidecars, logs."""
MAX_REWRITTEN_BYTES: Final = 16 * 1024 * 1024
_BEFORE: Final = r"(?<![\w.\-])"
_AFTER: Final = r"(?=$|[/\s\"'`,;:)\]}>])"


def rewrite_paths(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    r"""Replace every old path by its new one, longest old path first.

    Args:
        text: The file's text.
        replacements: Old path -> new path (POSIX, relative to the output
            root's parent; absolute spellings end with them and are caught too).

    Returns:
        The rewritten text (the same object when nothing matched).

    >>> rewrite_paths("dir: /d/outputs/exp1\nnot: outputs/exp10", [("outputs/exp1", "outputs/A")])
    'dir: /d/outputs/A\nnot: outputs/exp10'
    """
    if not replacements or not any(old in text for old, _ in replacements):
        return text
    new_of = dict(replacements)
    return _pattern(tuple(new_of)).sub(lambda match: new_of[match[1]], text)


@functools.lru_cache(maxsize=256)
def _pattern(olds: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all old paths, longest first (a run's files share one set)."""
    ordered = sorted(olds, key=len, reverse=True)
    alternatives = "|".join(re.escape(old) for old in ordered)
    return re.compile(_BEFORE + "(" + alternatives + ")" + _AFTER, re.MULTILINE)
