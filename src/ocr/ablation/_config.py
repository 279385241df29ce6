"""A run's saved config as flat dotted keys, and the keys its overrides set.

``{"model": {"encoder": "tiny_cnn"}}`` becomes ``{"model.encoder": "tiny_cnn"}``.
A list is one value (a tuple, so that it can be grouped by); a key holding a dot
itself is kept whole inside its parent's path. Values are as the file has them:
interpolations such as ``${paths.run_dir}`` are not resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ConfigValue",
    "config_key_of_override",
    "flatten_config",
    "format_value",
    "override_keys",
    "value_kind",
]

ConfigValue = str | int | float | bool | tuple[object, ...] | None
_SKIPPED_OVERRIDE_ROOTS: Final = ("hydra",)
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def flatten_config(config: Mapping[str, object], *, prefix: str = "") -> dict[str, ConfigValue]:
    """Flatten nested mappings into dotted keys.

    Args:
        config: The config, as nested mappings (a parsed ``.hydra/config.yaml``).
        prefix: The dotted path of ``config`` itself (``""`` at the top).

    Returns:
        Dotted key -> leaf value; a list is one value (a tuple), an empty
        mapping an empty tuple.

    >>> flatten_config({"model": {"encoder": "tiny_cnn", "width": 8}, "tags": ["a"]})
    {'model.encoder': 'tiny_cnn', 'model.width': 8, 'tags': ('a',)}
    """
    flat: dict[str, ConfigValue] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        # A saved config is plain dicts: their exact-type check is a tenth of an ABC check's.
        if value and (type(value) is dict or isinstance(value, Mapping)):
            flat.update(flatten_config(value, prefix=f"{dotted}."))
        elif type(value) in _SCALARS:
            flat[dotted] = cast("ConfigValue", value)  # exactly a str, int, float, bool or None
        else:
            flat[dotted] = _leaf(value)
    return flat


def _leaf(value: object) -> ConfigValue:
    if isinstance(value, tuple):
        return value
    if isinstance(value, Mapping):
        return tuple((str(key), _leaf(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(_leaf(item) for item in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # a YAML date or another scalar the safe loader built


def config_key_of_override(override: str) -> str | None:
    """The config key (or config group) a Hydra command-line override sets.

    Args:
        override: One line of ``.hydra/overrides.yaml``, e.g. ``model.encoder=tiny_cnn``,
            ``+trainer.x=1``, ``model=dbnet_fpn`` or ``hydra/launcher=joblib``.

    Returns:
        The dotted key (``model.encoder``; a group ``a/b`` as ``a.b``, or its
        package after ``@``), or ``None`` for deletions (``~key``), Hydra's own
        settings and lines that are not overrides.

    >>> [config_key_of_override(o) for o in ("++a.b=1", "model=x", "hydra/launcher=joblib")]
    ['a.b', 'model', None]
    """
    key, separator, _ = override.partition("=")
    key = key.strip()
    if not separator or not key or key.startswith("~"):
        return None
    key = key.lstrip("+")
    group, at, package = key.partition("@")
    dotted = (package if at and package else group).replace("/", ".")
    if not dotted or dotted.split(".", 1)[0] in _SKIPPED_OVERRIDE_ROOTS:
        return None
    return dotted


def override_keys(overrides: Iterable[str]) -> list[str]:
    """The keys a run's overrides set, in order, each once.

    Args:
        overrides: The override lines.

    Returns:
        The dotted keys (see :func:`config_key_of_override`).
    """
    keys = (config_key_of_override(line) for line in overrides)
    return list(dict.fromkeys(key for key in keys if key is not None))


def value_kind(value: ConfigValue) -> str | None:
    """The kind of a config value, for telling runs that disagree on a key's type.

    Args:
        value: A leaf value.

    Returns:
        ``number`` (int or float alike), ``boolean``, ``string`` or ``list``;
        ``None`` for null.

    >>> value_kind(8), value_kind(8.0), value_kind(True), value_kind("8"), value_kind(None)
    ('number', 'number', 'boolean', 'string', None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, tuple):
        return "list"
    return "string"


def format_value(value: ConfigValue) -> str:
    """A config value as one short text (for tables, file names and ``--baseline``).

    Args:
        value: A leaf value.

    Returns:
        Numbers as Python writes them (``0.001``, ``8``), booleans ``true``/``false``,
        null as ``null``, a list in brackets.

    >>> format_value(0.001), format_value(True), format_value(None), format_value(("a", 1))
    ('0.001', 'true', 'null', '[a, 1]')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(_leaf(item)) for item in value) + "]"
    return str(value)
