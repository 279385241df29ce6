"""The one switch that turns legacy support off, so its removal can be tried first.

``OCR_LEGACY=0`` (or ``off``, ``false``, ``no``) in the environment, or
:func:`set_legacy_enabled` with ``False`` in-process, makes ocr behave as if the
compat layer were gone: legacy names and folders are not read, legacy sidecars
are not found, and translating an old path raises. The environment is read at
each call, never at import, so a test or a launcher may set it late.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ocr.errors import LegacySupportDisabledError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "LEGACY_ENV_VAR",
    "is_legacy_enabled",
    "require_legacy_enabled",
    "set_legacy_enabled",
]

LEGACY_ENV_VAR: Final = "OCR_LEGACY"
_OFF_VALUES: Final = frozenset({"0", "off", "false", "no"})


@dataclass
class _Setting:
    """The process-wide setting; ``None`` follows the environment."""

    enabled: bool | None = None


_SETTING: Final = _Setting()


def set_legacy_enabled(enabled: bool | None) -> None:
    """Turn legacy support on or off for this process.

    Args:
        enabled: ``True`` or ``False`` to override the environment; ``None`` to
            follow :data:`LEGACY_ENV_VAR` again.
    """
    _SETTING.enabled = enabled


def is_legacy_enabled() -> bool:
    """Whether legacy support is on (the default).

    Returns:
        The in-process setting when one is set; otherwise ``False`` only when
        :data:`LEGACY_ENV_VAR` is ``0``, ``off``, ``false`` or ``no`` (any case).

    >>> set_legacy_enabled(False); is_legacy_enabled()
    False
    >>> set_legacy_enabled(None)
    """
    if _SETTING.enabled is not None:
        return _SETTING.enabled
    return os.environ.get(LEGACY_ENV_VAR, "").strip().lower() not in _OFF_VALUES


def _switch_origin() -> str:
    """Say what turned legacy support off: ``set_legacy_enabled(False)`` or ``OCR_LEGACY=<value>``."""
    if _SETTING.enabled is not None:
        return f"set_legacy_enabled({_SETTING.enabled})"
    return f"{LEGACY_ENV_VAR}={os.environ.get(LEGACY_ENV_VAR, '')}"


def require_legacy_enabled(action: str, path: Path) -> None:
    """Refuse a legacy operation while legacy support is off.

    Args:
        action: What was asked, completing "cannot ..." (e.g. ``translate``).
        path: The legacy path it was asked for.

    Raises:
        LegacySupportDisabledError: Legacy support is off.
    """
    if is_legacy_enabled():
        return
    raise LegacySupportDisabledError(
        f"cannot {action} {str(path)!r}: legacy support is off ({_switch_origin()})",
        fix=f"Use the new path, or unset {LEGACY_ENV_VAR} to turn legacy support back on",
        path=path,
    )
