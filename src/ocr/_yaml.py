"""Reading YAML safely and fast: libyaml's C parser when PyYAML has it.

Every YAML file ocr reads (saved Hydra configs, overrides, legacy sidecars,
W&B configs) goes through :func:`safe_load`, which is ``yaml.safe_load`` with
the C parser (about ten times faster; thousands of legacy runs are read in a
migration or a validation). :func:`load_like_omegaconf` reads a config exactly
as OmegaConf would (its float and timestamp rules, duplicate keys refused),
for the config hash.
"""

from __future__ import annotations

from typing import Any

import yaml
from omegaconf._utils import get_yaml_loader  # OmegaConf's own YAML rules, to match them

__all__ = ["load_like_omegaconf", "safe_load"]

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OmegaConfRules(_SafeLoader):  # type: ignore[valid-type,misc]
    """The C-accelerated safe loader with OmegaConf's implicit resolvers."""

    yaml_implicit_resolvers = get_yaml_loader().yaml_implicit_resolvers

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag != yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG:
                continue
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value}",
                    key_node.start_mark,
                )
            seen.add(key_node.value)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load``, with the C parser when available.

    Args:
        text: The YAML.

    Returns:
        The plain data.

    Raises:
        yaml.YAMLError: The text is not YAML.

    >>> safe_load("a: [1, 2]")
    {'a': [1, 2]}
    """
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader


def load_like_omegaconf(text: str) -> Any:
    r"""Read YAML the way ``OmegaConf.create(text)`` does, with the C parser.

    Args:
        text: The YAML.

    Returns:
        The plain data (``1e-3`` is a float, dates stay strings).

    Raises:
        yaml.YAMLError: The text is not YAML or repeats a key.

    >>> load_like_omegaconf("lr: 1e-3\nday: 2025-10-09")
    {'lr': 0.001, 'day': '2025-10-09'}
    """
    return yaml.load(text, Loader=_OmegaConfRules)  # noqa: S506 - a safe loader
