"""The recipe of a run: its config minus where, how and as what it ran, and the recipe's hash.

Two runs of one recipe share the hash, whatever their folders, names and
IDs: it is what ``config.config_hash`` in a sidecar and a run record holds,
and what ``ocr validate`` recomputes from a run's saved ``.hydra/config.yaml``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ocr._reading import METADATA_LIMIT, read_capped
from ocr._yaml import load_like_omegaconf
from ocr.errors import MetadataInvalidError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["EXCLUDED_CONFIG_KEYS", "config_hash", "hash_config_text", "hash_saved_config"]

EXCLUDED_CONFIG_KEYS: Final = frozenset({"experiment", "hydra", "paths"})
"""Top-level config keys that say where, how and as what a run ran, not its recipe.

``experiment`` holds the run's ID (new for every run), name and tags: two runs
of one recipe must share the hash whatever they are called."""


def config_hash(config: Mapping[str, Any]) -> str:
    """Hash a resolved config so that two runs of one recipe share the hash.

    The top-level ``paths``, ``hydra`` and ``experiment`` keys (where a run
    is, Hydra's runtime, the run's ID and name) are left out; everything else is serialised as canonical JSON
    (sorted keys, no spaces) and hashed with SHA-256.

    Args:
        config: A plain, resolved config (e.g. ``OmegaConf.to_container(cfg)``).

    Returns:
        The hex digest.

    >>> config_hash({"lr": 0.1, "paths": {"run_dir": "/a"}}) == config_hash({"lr": 0.1})
    True
    >>> config_hash({"lr": 0.1, "experiment": {"id": "1k7"}}) == config_hash({"lr": 0.1})
    True
    """
    recipe = {key: value for key, value in config.items() if key not in EXCLUDED_CONFIG_KEYS}
    canonical = json.dumps(
        recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_ENVIRONMENT_RESOLVERS: Final = ("${hydra:", "${now:", "${oc.env:")


def hash_saved_config(config_file: Path) -> str:
    """Hash the config Hydra saved for a run (``.hydra/config.yaml``).

    Interpolations between config keys are resolved; values that depend on
    where and when the config is read (``${hydra:...}``, ``${now:...}``,
    ``${oc.env:...}``) and values that point into the left-out keys stay as
    written, so the hash is the same in the training job and in any later check.

    Args:
        config_file: The saved YAML config.

    Returns:
        :func:`config_hash` of the resolved recipe.

    Raises:
        OSError: The file cannot be read.
        MetadataInvalidError: The file is not a YAML mapping.
    """
    text = read_capped(config_file, limit=METADATA_LIMIT).decode("utf-8")
    return hash_config_text(text, origin=config_file)


def hash_config_text(text: str, *, origin: Path) -> str:
    """:func:`hash_saved_config` of a config's YAML text that is not (yet) in its file.

    The migrator hashes a config as it will read once its paths are rewritten.

    Args:
        text: The saved config's YAML.
        origin: The file the text belongs to (for messages).

    Returns:
        :func:`config_hash` of the resolved recipe.

    Raises:
        MetadataInvalidError: The text is not a YAML mapping (or nests too deeply).
    """
    try:
        return _hash_config_text(text)
    except (yaml.YAMLError, OmegaConfBaseException) as exc:
        raise MetadataInvalidError(
            f"saved config {str(origin)!r} is not valid YAML ({exc})",
            fix="Restore the file from the run's .hydra folder or rerun",
            path=origin,
        ) from exc
    except TypeError as exc:
        raise MetadataInvalidError(
            f"saved config {str(origin)!r} is not a mapping",
            fix="Restore the file from the run's .hydra folder or rerun",
            path=origin,
        ) from exc
    except RecursionError:
        raise MetadataInvalidError(
            f"saved config {str(origin)!r} is nested too deeply to be read",
            fix="Restore the file from the run's .hydra folder or rerun",
            path=origin,
        ) from None


@functools.lru_cache(maxsize=1024)
def _hash_config_text(text: str) -> str:
    """The hash of a config's text; cached, as runs of one sweep or recipe share theirs."""
    loaded = load_like_omegaconf(text)
    if loaded is None:  # an empty file, which OmegaConf reads as an empty mapping
        loaded = {}
    if not isinstance(loaded, dict):
        msg = "not a mapping"
        raise TypeError(msg)
    saved = OmegaConf.create(loaded)
    for key in EXCLUDED_CONFIG_KEYS & set(saved.keys()):
        del saved[key]
    return config_hash(_resolve_recipe(saved))


def _resolve_recipe(node: DictConfig | ListConfig) -> Any:
    raw = OmegaConf.to_container(node, resolve=False)
    keys: list[Any] = list(node.keys()) if isinstance(node, DictConfig) else list(range(len(node)))
    resolved: dict[Any, Any] = {}
    for key in keys:
        written = raw[key]  # type: ignore[index]
        if isinstance(written, str) and any(r in written for r in _ENVIRONMENT_RESOLVERS):
            resolved[key] = written
            continue
        try:
            value = node[key]
        except OmegaConfBaseException:
            resolved[key] = written  # points into a left-out key, or cannot resolve here
            continue
        is_container = isinstance(value, DictConfig | ListConfig)
        resolved[key] = _resolve_recipe(value) if is_container else value
    return resolved if isinstance(node, DictConfig) else [resolved[i] for i in keys]
