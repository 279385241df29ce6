"""Launch folders: a launch stays in ocr's layout whatever a later config says.

``hydra/ocr_layout.yaml`` is the one definition of ``hydra.run.dir``,
``hydra.sweep.dir`` and ``hydra.sweep.subdir``. Hydra merges the defaults list
in order, so a project config composed after it (its own ``hydra/default.yaml``
setting ``run.dir``, say) wins the merge; this module puts ocr's values back
and says so in one line. A folder setting given on the command line is the
user's explicit wish and is refused instead, with the fix.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from ocr.errors import AdoptionError
from ocr.layout import LAUNCH_DIR_RESOLVER, RootLayout, output_root_of, packaged_config_dir

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["adopt_launch_dirs", "command_line_keys", "raw_value"]

_LAYOUT_CONFIG: Final = ("hydra", "ocr_layout.yaml")
_FOLDER_KEYS: Final = ("run.dir", "sweep.dir", "sweep.subdir")


def adopt_launch_dirs(config: DictConfig) -> str | None:
    """Put a composed launch config's folders back into ocr's layout.

    Args:
        config: The launch's (or one sweep job's) composed config; changed in place.

    Returns:
        One line saying what was taken over, or ``None`` when the folders were ocr's.

    Raises:
        AdoptionError: A folder setting that is not ocr's was given on the command line.
    """
    layout = _layout_values()
    fixed = command_line_keys(config.hydra.overrides.hydra)
    taken: list[str] = []
    for key in _FOLDER_KEYS:
        current = raw_value(config.hydra, key)
        if _is_ours(key, current, config):
            continue
        if f"hydra.{key}" in fixed:
            raise AdoptionError(
                f"hydra.{key} is set on the command line to {current!r}, but ocr's layout keeps "
                f"every launch under {str(output_root_of(config))!r}",
                fix=f"Drop the hydra.{key} override, and choose the root with ocr.output_root=...",
                value=current,
            )
        with read_write(config.hydra), open_dict(config.hydra):
            OmegaConf.update(config.hydra, key, layout[key], merge=False)
        taken.append(f"hydra.{key} ({current!r})")
    if not taken:
        return None
    return (
        f"ocr: {', '.join(taken)} came from a config composed after `- ocr` (the project's own "
        f"hydra/ settings); ocr's layout takes over: launches go under "
        f"{str(output_root_of(config))!r}. Put `- ocr` last in the defaults list to make this "
        "explicit"
    )


def command_line_keys(overrides: Iterable[str]) -> set[str]:
    """The keys a list of Hydra overrides sets (``+``, ``++`` and ``~`` stripped).

    Args:
        overrides: Override strings as Hydra keeps them (``hydra.run.dir=/x``).

    Returns:
        The keys.

    >>> sorted(command_line_keys(["hydra.run.dir=/x", "++trainer.max_epochs=1", "~a.b"]))
    ['a.b', 'hydra.run.dir', 'trainer.max_epochs']
    """
    return {str(line).partition("=")[0].lstrip("+~") for line in overrides}


def raw_value(node: DictConfig, key: str) -> str | None:
    """A config value as written, interpolations unresolved.

    Args:
        node: The config node holding the key.
        key: A dotted key below ``node``.

    Returns:
        The text, or ``None`` when the key is missing or null.
    """
    *parents, leaf = key.split(".")
    for parent in parents:
        child = node.get(parent)
        if not isinstance(child, DictConfig):
            return None
        node = child
    raw = OmegaConf.to_container(node, resolve=False).get(leaf)  # type: ignore[union-attr]
    return None if raw is None else str(raw)


def _is_ours(key: str, current: str | None, config: DictConfig) -> bool:
    if current is None:
        return False
    if key == "sweep.subdir":
        return current == _layout_values()[key]
    if LAUNCH_DIR_RESOLVER in current or _is_run_folder(current):
        return True
    # hydra.sweep.dir: ${hydra.run.dir}, when run.dir is ocr's.
    return (
        key == "sweep.dir"
        and current == _layout_values()[key]
        and _is_ours("run.dir", raw_value(config.hydra, "run.dir"), config)
    )


def _is_run_folder(value: str) -> bool:
    """Whether ``value`` names an existing folder of the layout outright.

    Lightning's DDP workers re-launch the script with ``hydra.run.dir=<rank
    zero's run folder>``.
    """
    folder = Path(value).expanduser()
    return "${" not in value and folder.is_dir() and RootLayout.of_run(folder.resolve()) is not None


@functools.cache
def _layout_values() -> dict[str, str]:
    """The folder settings as ``hydra/ocr_layout.yaml`` writes them (read once)."""
    # The layout file is a mapping by construction.
    loaded = cast(
        "DictConfig", OmegaConf.load(packaged_config_dir("searchpath").joinpath(*_LAYOUT_CONFIG))
    )
    values = {key: raw_value(loaded, key) for key in _FOLDER_KEYS}
    return {key: value for key, value in values.items() if value is not None}
