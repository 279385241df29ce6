"""Everything the app shows about one checkpoint, read without loading it.

:func:`describe_checkpoint` gathers the run's saved config (as text, with the
command-line overrides marked), the run's experiment record, the sidecar and
the catalog's own account (where each legacy field came from, what could not
be read). Files are read with a size cap; a file that cannot be read becomes
one line in ``problems``, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import yaml
from pydantic import ValidationError

from ocr._yaml import safe_load
from ocr.errors import OcrError
from ocr.layout import RunLayout
from ocr.metadata import CheckpointMetadata, read_metadata
from ocr.naming import sidecar_path
from ocr.registry import ExperimentRecord, read_record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry, RunConfigLookup

__all__ = [
    "MAX_CONFIG_BYTES",
    "CheckpointDetails",
    "annotate_overrides",
    "describe_checkpoint",
    "override_key",
]

MAX_CONFIG_BYTES: Final = 1_000_000
_KEY_LINE: Final = re.compile(
    r"^(?P<indent> *)(?P<key>[^\s#:-][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)"
)
_SIDECAR_STATES_WITH_FILE: Final = frozenset({"valid", "stale"})


@dataclass(frozen=True)
class CheckpointDetails:
    """What is known about one checkpoint beyond its catalog entry.

    Args:
        entry: The catalog's entry.
        config_file: The run's saved config, when it has one.
        config_text: That file's text (cut at :data:`MAX_CONFIG_BYTES`).
        overrides: The command-line overrides the run was launched with.
        record: The run's experiment record, when it has one.
        sidecar: The checkpoint's ocr sidecar, when valid.
        problems: What could not be read, one line each (the entry's own first).
    """

    entry: CatalogEntry
    config_file: Path | None = None
    config_text: str | None = None
    overrides: tuple[str, ...] = ()
    record: ExperimentRecord | None = None
    sidecar: CheckpointMetadata | None = None
    problems: tuple[str, ...] = ()

    @property
    def annotated_config(self) -> str | None:
        """The config text with each overridden key marked (:func:`annotate_overrides`)."""
        if self.config_text is None:
            return None
        return annotate_overrides(self.config_text, self.overrides)


def describe_checkpoint(entry: CatalogEntry, configs: RunConfigLookup) -> CheckpointDetails:
    """Gather what is known about a checkpoint, reading only small text files.

    Args:
        entry: The checkpoint's catalog entry.
        configs: The catalog's config lookup (:meth:`CheckpointCatalog.config_lookup`).

    Returns:
        The details.
    """
    problems = list(entry.problems)
    config_file = configs.config_file(entry)
    config_text = _read_text(config_file, problems) if config_file is not None else None
    sidecar = _sidecar(entry, problems)
    overrides: tuple[str, ...] = ()
    if sidecar is not None:
        overrides = tuple(sidecar.config.overrides)
    elif config_file is not None:
        overrides = _overrides(RunLayout(config_file.parent.parent).overrides_file, problems)
    record = _record(entry, problems)
    return CheckpointDetails(
        entry, config_file, config_text, overrides, record, sidecar, tuple(dict.fromkeys(problems))
    )


def _read_text(path: Path, problems: list[str]) -> str | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        problems.append(f"{str(path)!r}: unreadable ({exc.strerror})")
        return None
    text = data[:MAX_CONFIG_BYTES].decode("utf-8", errors="replace")
    if len(data) > MAX_CONFIG_BYTES:
        problems.append(f"{str(path)!r}: longer than {MAX_CONFIG_BYTES:,} bytes; shown cut short")
    return text


def _sidecar(entry: CatalogEntry, problems: list[str]) -> CheckpointMetadata | None:
    if entry.sidecar not in _SIDECAR_STATES_WITH_FILE:
        return None
    try:
        return read_metadata(sidecar_path(Path(entry.path)))
    except (OcrError, OSError) as exc:
        problems.append(str(exc))
        return None


def _overrides(path: Path, problems: list[str]) -> tuple[str, ...]:
    try:
        loaded = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{str(path)!r}: unreadable overrides ({str(exc).splitlines()[0]})")
        return ()
    if not isinstance(loaded, list):
        return ()
    return tuple(str(item) for item in loaded)


def _record(entry: CatalogEntry, problems: list[str]) -> ExperimentRecord | None:
    if entry.run_dir is None:
        return None
    try:
        return read_record(RunLayout(Path(entry.run_dir)).record_file)
    except FileNotFoundError:
        return None
    except (OcrError, OSError, ValidationError) as exc:
        problems.append(str(exc))
        return None


def override_key(override: str) -> str | None:
    """The config key an override sets, in dotted form.

    Args:
        override: As Hydra takes it: ``key=value``, ``+key=value``,
            ``++key=value``, ``group/option=name``, ``~key``.

    Returns:
        The dotted key (``group/option`` becomes ``group.option``), or ``None``
        for a deletion (``~key``) or a text that sets nothing.

    >>> override_key("+model/decoder=unet"), override_key("~trainer.devices")
    ('model.decoder', None)
    """
    if override.startswith("~") or "=" not in override:
        return None
    key = override.split("=", 1)[0].lstrip("+").replace("/", ".").split("@", 1)[0]
    return key or None


def annotate_overrides(config_text: str, overrides: Sequence[str]) -> str:
    r"""A YAML config with a comment on each line an override set.

    Args:
        config_text: The saved config (Hydra's ``config.yaml``, block style).
        overrides: The run's overrides.

    Returns:
        The same text; each line whose key (or group) an override set ends with
        ``  # <- override: <override>``.

    >>> print(annotate_overrides("model:\n  width: 4\nseed: 0\n", ["model.width=4"]), end="")
    model:
      width: 4  # <- override: model.width=4
    seed: 0
    """
    wanted: dict[str, list[str]] = {}
    for override in overrides:
        key = override_key(override)
        if key is not None:
            wanted.setdefault(key, []).append(override)
    if not wanted:
        return config_text
    lines = config_text.splitlines(keepends=True)
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"].strip("'\"")))
        set_by = wanted.get(".".join(key for _, key in stack))
        if set_by:
            body = line.rstrip("\r\n")
            ending = line[len(body) :]
            lines[number] = f"{body}  # <- override: {', '.join(set_by)}{ending}"
    return "".join(lines)
