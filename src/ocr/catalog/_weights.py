"""The slow, opt-in path: what a legacy checkpoint's own weights say of its model.

Discovery never unpickles. For a legacy checkpoint whose entry still lacks part
of its model after sidecars, configs and names, :func:`read_weights` opens the
file with ``torch.load(weights_only=True, mmap=True)``: torch's restricted
unpickler, which builds tensors and plain containers and refuses everything
else. The ``{key: shape}`` of its ``state_dict`` goes to
:func:`ocr.compat._shared.model_from_state_dict_keys`; the epoch, global step and the
metrics saved beside it fill what the entry lacks. A file that ``weights_only``
refuses is reported, never loaded any other way; so is one whose archive would
inflate beyond what a checkpoint needs (:mod:`ocr.catalog._checkpoint_file`), and
anything that is not a regular file (a FIFO is never opened).

What each file said (or why it could not be read) is cached in
``<root>/.ocr/weights.json``, keyed by path, size and mtime, so a second run
loads nothing. The cache can be deleted at any time.
"""

from __future__ import annotations

import errno
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePath
from stat import S_ISDIR, S_ISREG
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from ocr._json import model_json, validate_json
from ocr._reading import STATE_LIMIT, read_capped
from ocr.atomic import atomic_write_bytes
from ocr.catalog._checkpoint_file import open_checkpoint
from ocr.catalog._entry import SidecarState
from ocr.compat import is_legacy_enabled
from ocr.compat._shared import Source, model_from_state_dict_keys
from ocr.errors import OcrError
from ocr.layout import RootLayout, resolve_user_path
from ocr.locking import locked

if TYPE_CHECKING:
    from collections.abc import Sequence

    import torch

    from ocr.catalog._entry import CatalogEntry

__all__ = ["read_weights"]


_log = logging.getLogger(__name__)
_PARTS: Final = ("encoder", "decoder", "head")  # what a state dict can tell; never the architecture
_LEGACY_STATES: Final = frozenset({SidecarState.MISSING, SidecarState.INVALID})


class _Facts(BaseModel):
    """What one checkpoint file said, for the size and mtime it had."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    size: int
    mtime_ns: int
    model: dict[str, str] = {}
    epoch: int | None = None
    step: int | None = None
    metrics: dict[str, float] = {}
    problem: str | None = None


class _Cache(BaseModel):
    """The cache file: checkpoint path -> what it said."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    files: dict[str, _Facts] = {}


def read_weights(
    entries: Sequence[CatalogEntry], *, roots: Sequence[Path]
) -> tuple[list[CatalogEntry], list[str]]:
    """Fill in what legacy checkpoints' weights say, where their entries lack it.

    Only entries without a valid ocr sidecar (``missing`` or ``invalid``) whose
    encoder, decoder or head is unknown are read, and none while legacy
    support is off (``OCR_LEGACY=0``): this is a legacy fallback. A field is only ever added,
    never replaced (a config or a name is trusted more), and its source
    becomes ``state_dict``. Metrics the file holds (``cleval_metrics``, and the
    monitored score Lightning's ``ModelCheckpoint`` kept for this very file)
    are added under names the entry does not have yet.

    Args:
        entries: The catalog entries, e.g. from :meth:`CheckpointCatalog.scan`.
        roots: The catalog roots; each entry is cached under the root holding
            it (or its legacy ``multirun``/``wandb`` siblings).

    Returns:
        The entries in the same order, upgraded where the weights told
        something, and one line per file that could not be read (also added
        to that entry's ``problems``): ``'<path>': unsafe: needs a full
        unpickle, not loaded (...)`` or ``'<path>': unreadable: ...``.

    Raises:
        OcrError: A file has to be read and torch is not installed.

    >>> read_weights([], roots=[])
    ([], [])
    """
    if not is_legacy_enabled():
        return list(entries), []
    resolved = [resolve_user_path(root) for root in roots]
    groups: dict[Path | None, list[CatalogEntry]] = {}
    for entry in entries:
        if _should_read(entry):
            groups.setdefault(_cache_root(Path(entry.path), resolved), []).append(entry)
    said: dict[str, _Facts] = {}
    for root, group in groups.items():
        said.update(_facts_under(root, group))
    upgraded: list[CatalogEntry] = []
    problems: list[str] = []
    for entry in entries:
        facts = said.get(entry.path)
        if facts is None:
            upgraded.append(entry)
            continue
        problem = None if facts.problem is None else f"{entry.path!r}: {facts.problem}"
        if problem is not None:
            problems.append(problem)
        upgraded.append(_upgrade(entry, facts, problem))
    return upgraded, problems


def _should_read(entry: CatalogEntry) -> bool:
    return entry.sidecar in _LEGACY_STATES and any(getattr(entry, p) is None for p in _PARTS)


def _cache_root(path: Path, roots: Sequence[Path]) -> Path | None:
    # A root's legacy siblings (multirun/, wandb/) sit beside it, in its parent.
    for root in roots:
        if path.is_relative_to(root):
            return root
    return next((root for root in roots if path.is_relative_to(root.parent)), None)


def _facts_under(root: Path | None, entries: list[CatalogEntry]) -> dict[str, _Facts]:
    cache_file = None if root is None else RootLayout(root).weights_cache_file
    cached = _load_cache(cache_file).files if cache_file is not None else {}
    said: dict[str, _Facts] = {}
    fresh: dict[str, _Facts] = {}
    for entry in entries:
        try:
            stat = os.stat(entry.path)  # noqa: PTH116 (entry paths are strings)
        except OSError as exc:
            # Gone since the scan: reported, not cached.
            said[entry.path] = _Facts(
                size=-1, mtime_ns=-1, problem=f"unreadable: not loaded ({exc.strerror})"
            )
            continue
        if not S_ISREG(stat.st_mode):  # a folder checkpoint, or a FIFO put there since
            said[entry.path] = _Facts(size=-1, mtime_ns=-1, problem=_not_a_file(stat.st_mode))
            continue
        hit = cached.get(entry.path)
        if hit is not None and (hit.size, hit.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            said[entry.path] = hit
            continue
        facts = _read_file(Path(entry.path), stat.st_size, stat.st_mtime_ns)
        said[entry.path] = fresh[entry.path] = facts
    if fresh and cache_file is not None:
        _save_cache(cache_file, fresh)
    return said


def _not_a_file(mode: int) -> str:
    if S_ISDIR(mode):
        return "unreadable: not loaded (a folder checkpoint: its shards are never read)"
    return "unreadable: not loaded (not a regular file)"


def _read_file(path: Path, size: int, mtime_ns: int) -> _Facts:
    try:
        import torch  # noqa: PLC0415 (optional and slow to import: only when a file must be read)
    except ImportError as exc:
        raise OcrError(
            f"reading checkpoint weights needs torch, which is not installed (for {str(path)!r})",
            fix="Install torch (pip install torch), or leave out --read-weights",
            path=path,
        ) from exc
    loaded = open_checkpoint(path)
    if isinstance(loaded, str):
        return _Facts(size=size, mtime_ns=mtime_ns, problem=loaded)
    state = loaded.get("state_dict", loaded)
    shapes = _shapes(state, torch.Tensor) if isinstance(state, Mapping) else {}
    return _Facts(
        size=size,
        mtime_ns=mtime_ns,
        model={key: found.value for key, found in model_from_state_dict_keys(shapes).items()},
        epoch=_count(loaded.get("epoch")),
        step=_count(loaded.get("global_step")),
        metrics=_metrics(loaded, path.name, torch.Tensor),
    )


def _shapes(state: Mapping[Any, Any], tensor: type[torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {
        str(key): tuple(value.shape) for key, value in state.items() if isinstance(value, tensor)
    }


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: object, tensor: type[torch.Tensor]) -> float | None:
    if isinstance(value, tensor) and value.numel() == 1:
        number = float(value.item())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def _metrics(loaded: Mapping[Any, Any], name: str, tensor: type[torch.Tensor]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    cleval = loaded.get("cleval_metrics")
    if isinstance(cleval, Mapping):
        for key, value in cleval.items():
            if (number := _number(value, tensor)) is not None:
                metrics[str(key)] = number
    callbacks = loaded.get("callbacks")
    for state in callbacks.values() if isinstance(callbacks, Mapping) else ():
        # ModelCheckpoint's state: its monitored metric, and the score of each
        # file it kept. ``best_model_score`` is the best of all of them, so it
        # is this file's score only when this file is listed with it.
        monitor = state.get("monitor") if isinstance(state, Mapping) else None
        kept = state.get("best_k_models") if isinstance(state, Mapping) else None
        if not isinstance(monitor, str) or not isinstance(kept, Mapping):
            continue
        for saved, score in kept.items():
            if PurePath(str(saved)).name == name and (number := _number(score, tensor)) is not None:
                metrics.setdefault(monitor, number)
    return metrics


def _upgrade(entry: CatalogEntry, facts: _Facts, problem: str | None) -> CatalogEntry:
    changes: dict[str, Any] = {
        key: value
        for key, value in {"epoch": facts.epoch, "step": facts.step, **facts.model}.items()
        if value is not None and getattr(entry, key) is None
    }
    if changes:
        changes["sources"] = {**entry.sources, **dict.fromkeys(changes, Source.STATE_DICT.value)}
    metrics = {**facts.metrics, **entry.metrics}  # the entry's own values win
    if metrics != entry.metrics:
        changes["metrics"] = metrics
    if problem is not None:
        changes["problems"] = (*entry.problems, problem)
    return entry._replace(**changes) if changes else entry


def _load_cache(cache_file: Path) -> _Cache:
    if cache_file.parent.is_symlink():
        return _Cache()  # never read through a linked .ocr
    try:
        return validate_json(_Cache, read_capped(cache_file, limit=STATE_LIMIT))
    except FileNotFoundError:
        return _Cache()
    except OSError as exc:
        _log.warning("ignoring the unreadable weights cache %s (%s)", cache_file, exc.strerror)
        return _Cache()
    except ValueError:
        # A cache: a corrupt or newer one is rebuilt, never trusted.
        _log.warning("ignoring the weights cache %s (corrupt or newer); rebuilding it", cache_file)
        return _Cache()


def _save_cache(cache_file: Path, fresh: dict[str, _Facts]) -> None:
    try:
        if cache_file.parent.is_symlink():
            raise OSError(errno.ELOOP, "the state folder is a link; ocr never writes through it")
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with locked(cache_file):
            # Re-read under the lock: another process may have added files meanwhile.
            # Files gone from disk are dropped, so the cache does not grow forever.
            kept = {
                path: facts
                for path, facts in _load_cache(cache_file).files.items()
                if path not in fresh and Path(path).exists()
            }
            cache = _Cache(files={**kept, **fresh})
            atomic_write_bytes(cache_file, model_json(cache).encode("utf-8") + b"\n")
    except (OSError, OcrError) as exc:
        # A cache: a read-only tree is still read, only slower next time.
        _log.warning("could not write the weights cache %s: %s", cache_file, exc)
