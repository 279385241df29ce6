"""What the app reads: its output roots and their legacy folders, and nothing else.

``ocr ui`` hands the app its roots through one environment variable
(:data:`SCOPE_ENV_VAR`, JSON), so the Streamlit server process, ``streamlit
run`` and ``AppTest`` all start the app the same way. Every path the app opens
is one the catalog found under these folders; :meth:`AppScope.contains` checks
a path (links resolved) before a checkpoint is loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ocr.catalog import CheckpointCatalog
from ocr.compat import LegacyFolders
from ocr.errors import InputPathError
from ocr.layout import resolve_user_path

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_ROOT", "SCOPE_ENV_VAR", "AppScope"]

SCOPE_ENV_VAR: Final = "OCR_UI_SCOPE"
DEFAULT_ROOT: Final = "outputs"


@dataclass(frozen=True)
class AppScope:
    """The output roots the app shows, with the legacy folders scanned beside them.

    Args:
        roots: The output roots (absolute).
        legacy: The legacy sweep and W&B folders, as ``ocr catalog --multirun``
            and ``--wandb`` choose them; ``None``: those beside each root.

    >>> scope = AppScope.from_environ({SCOPE_ENV_VAR: AppScope((Path("/data/out"),)).to_json()})
    >>> scope.roots
    (PosixPath('/data/out'),)
    """

    roots: tuple[Path, ...]
    legacy: LegacyFolders | None = None

    def to_json(self) -> str:
        """The scope as the JSON text :meth:`from_environ` reads."""
        legacy = (
            None if self.legacy is None else {k: _text(v) for k, v in self.legacy._asdict().items()}
        )
        return json.dumps({"roots": [str(root) for root in self.roots], "legacy": legacy})

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AppScope:
        """The scope ``ocr ui`` set, or ``./outputs`` when the app was started otherwise.

        Args:
            environ: The environment; defaults to ``os.environ``.

        Returns:
            The scope.

        Raises:
            InputPathError: The variable is set but is not the JSON ``ocr ui`` writes.
        """
        text = (os.environ if environ is None else environ).get(SCOPE_ENV_VAR)
        if text is None:
            return cls((resolve_user_path(DEFAULT_ROOT),))
        try:
            data: Any = json.loads(text)
            roots = tuple(Path(root) for root in data["roots"])
            legacy = data["legacy"]
            folders = (
                None
                if legacy is None
                else LegacyFolders(**{k: _path(v) for k, v in legacy.items()})
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise InputPathError(
                f"the app's scope {SCOPE_ENV_VAR}={text!r} is not what `ocr ui` writes ({exc})",
                fix="Start the app with `ocr ui [ROOT...]`",
                value=text,
            ) from exc
        return cls(roots, folders)

    def present_roots(self) -> list[Path]:
        """The roots that are folders now (a root may vanish while the app runs)."""
        return [root for root in self.roots if root.is_dir()]

    def missing_roots(self) -> list[Path]:
        """The roots that are not folders now."""
        return [root for root in self.roots if not root.is_dir()]

    def catalog(self) -> CheckpointCatalog:
        """A catalog over the roots that exist (a missing root is never created)."""
        return CheckpointCatalog(self.present_roots(), legacy=self.legacy)

    def tops(self) -> list[Path]:
        """Every folder the app may read: each existing root and its legacy folders."""
        catalog = self.catalog()
        return [top for root in catalog.roots for top in catalog.legacy_folders(root).tops(root)]


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)
