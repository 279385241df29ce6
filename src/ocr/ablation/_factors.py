"""The factors of an ablation: the config keys that vary across its runs.

Without ``--by``, a factor is a key whose value differs between the selected
runs: first the keys their overrides set (in the order the overrides name
them; a config group such as ``model=dbnet_fpn`` stands for the keys under
``model.`` that differ), then every other key of their saved configs, in key
order. Left out: the seed key (runs that differ only in it are repeats), the
top-level ``paths``, ``hydra`` and ``experiment`` keys (where and as what a run
ran, :data:`ocr.recipe.EXCLUDED_CONFIG_KEYS`), and keys whose value names the
run's own folder (paths and names a legacy config resolved). A key only some
runs have is a factor when it differs among those that have it, or when an
override set it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ocr.ablation._config import ConfigValue, format_value, override_keys, value_kind
from ocr.errors import AblationKeyError, AblationTypeError
from ocr.recipe import EXCLUDED_CONFIG_KEYS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ocr.ablation._run import AblationRun

__all__ = [
    "FactorChoice",
    "check_factor_types",
    "check_keys",
    "detect_factors",
    "group_key",
    "known_keys",
    "nearest_keys",
]

_NEAREST: Final = 3
_CLOSE: Final = 0.7  # difflib's similarity ratio; 0.6 offered unrelated keys of a long config


@dataclass(frozen=True)
class FactorChoice:
    """The factors found, and the keys left out because they follow one.

    Args:
        factors: The factor keys, in column order.
        followers: Key left out -> the factor that splits the runs the same way.
    """

    factors: tuple[str, ...]
    followers: Mapping[str, str] = field(default_factory=dict)


def detect_factors(runs: Sequence[AblationRun], *, seed_key: str) -> FactorChoice:
    """The config keys that vary across runs (see the module docstring).

    Args:
        runs: The runs.
        seed_key: The key holding the seed, never a factor.

    Returns:
        The factor keys (overrides' keys first) and the keys that follow them.
    """
    known = sorted({key for run in runs for key in run.config})
    overridden: dict[str, None] = {}
    for key in (key for run in runs for key in override_keys(run.overrides)):
        if key in known:
            overridden[key] = None
        else:  # a config group: the keys under it
            overridden.update(dict.fromkeys(k for k in known if k.startswith(f"{key}.")))
    factors: dict[tuple[int, ...], str] = {}
    followers: dict[str, str] = {}
    for key in dict.fromkeys([*overridden, *known]):
        if key == seed_key or key.split(".", 1)[0] in EXCLUDED_CONFIG_KEYS:
            continue
        if _varies(runs, key, overridden=key in overridden) and not _names_own_run(runs, key):
            split = _partition(runs, key)
            if split in factors:
                followers[key] = factors[split]
            else:
                factors[split] = key
    return FactorChoice(tuple(factors.values()), followers)


def _partition(runs: Sequence[AblationRun], key: str) -> tuple[int, ...]:
    """Which group each run falls in by this key, groups numbered as first met."""
    labels: dict[tuple[str, ConfigValue], int] = {}
    return tuple(labels.setdefault(group_key(run.config.get(key)), len(labels)) for run in runs)


def _varies(runs: Sequence[AblationRun], key: str, *, overridden: bool) -> bool:
    having = [run.config[key] for run in runs if key in run.config]
    values = {group_key(value) for value in having}
    if overridden and len(having) < len(runs):
        values.add(group_key(None))
    return len(values) > 1


def _names_own_run(runs: Sequence[AblationRun], key: str) -> bool:
    for run in runs:
        value = run.config.get(key)
        if isinstance(value, str) and (
            value == run.name or f"/{run.name}/" in f"/{value}/" or str(run.run_dir) in value
        ):
            return True
    return False


def group_key(value: ConfigValue) -> tuple[str, ConfigValue]:
    """What runs are grouped by: the value with its kind (``8`` and ``8.0`` alike, ``True`` apart).

    Args:
        value: A config value.

    Returns:
        A hashable key.
    """
    return (value_kind(value) or "null", value)


def known_keys(runs: Iterable[AblationRun]) -> set[str]:
    """Every config key some run has."""
    return {key for run in runs for key in run.config}


def nearest_keys(key: str, known: Iterable[str]) -> list[str]:
    """The known keys closest to a mistyped one (for the error line).

    Args:
        key: The key asked for.
        known: The keys that exist.

    Returns:
        Up to three close keys; else up to three that share its last part
        (after the last ``.`` or ``/``).

    >>> nearest_keys("model.encodr", ["model.encoder", "model.decoder", "seed"])
    ['model.encoder', 'model.decoder']
    """
    candidates = sorted(set(known))
    close = difflib.get_close_matches(key, candidates, n=_NEAREST, cutoff=_CLOSE)
    if close:
        return close
    last = _last_part(key)
    return [k for k in candidates if _last_part(k) == last][:_NEAREST]


def _last_part(key: str) -> str:
    return re.split(r"[./]", key)[-1]


def check_keys(runs: Sequence[AblationRun], keys: Iterable[str], *, option: str) -> None:
    """Refuse keys no run's config has, naming the nearest ones.

    Args:
        runs: The runs.
        keys: The keys asked for.
        option: The option that named them (``--by``), for the message.

    Raises:
        AblationKeyError: A key is in no run's config.
    """
    known = known_keys(runs)
    for key in keys:
        if key not in known:
            near = nearest_keys(key, known)
            hint = f" (nearest: {', '.join(near)})" if near else ""
            raise AblationKeyError(
                f"{option} {key!r}: no selected run's config has this key{hint}",
                fix="Name a dotted key of the runs' saved configs, e.g. model.encoder",
                value=key,
            )


def check_factor_types(runs: Sequence[AblationRun], factors: Iterable[str]) -> None:
    """Refuse a factor whose values are of different kinds across runs (``8`` and ``'8'``).

    Args:
        runs: The runs.
        factors: The factor keys.

    Raises:
        AblationTypeError: Runs disagree on a factor's type; the message names
            one run of each kind.
    """
    for key in factors:
        first: dict[str, tuple[AblationRun, ConfigValue]] = {}
        for run in runs:
            value = run.config.get(key)
            kind = value_kind(value)
            if kind is not None:
                first.setdefault(kind, (run, value))
        if len(first) > 1:
            seen = "; ".join(
                f"a {kind} ({format_value(value)!r}) in {run.name!r}"
                for kind, (run, value) in sorted(first.items())
            )
            raise AblationTypeError(
                f"the runs disagree on the type of {key!r}: {seen}",
                fix="Make their configs agree, or leave the odd runs out (--where, --sweep)",
                value=key,
            )
