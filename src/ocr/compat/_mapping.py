"""The migration mapping file: its format, where it lives, and reading it.

Each migration of an output root ``ROOT`` writes one mapping file (the migrator
writes it with :mod:`ocr.atomic`; compat only reads it)::

    <ROOT>/.ocr/migrations/<migration_id>/mapping.json

.. code-block:: json

    {
      "schema_version": 1,
      "migration_id": "20251018T140322Z-3f9a",
      "created_at": "2025-10-18T14:03:22+02:00",
      "root": "/data/project/outputs",
      "entries": {
        "outputs/exp1/checkpoints/best.ckpt": "outputs/2025-10-09/01-50-37/checkpoints/best.ckpt",
        "multirun/2025-10-09/01-50-37/0": "outputs/2025-10-09/01-50-37/0",
        "wandb/run-20251009_015037-abc123de": "outputs/2025-10-09/01-50-37/wandb/run-20251009_015037-abc123de"
      }
    }

- ``migration_id``: the migration folder's name (letters, digits, ``.``, ``_``, ``-``).
- ``created_at``: when the migration ran, timezone-aware; migrations apply in
  this order (a later one moving an earlier one's new path is followed).
- ``root``: ROOT's absolute POSIX path when the migration ran (for reports).
- ``entries``: old path -> new path, files or folders, both POSIX and relative
  to ROOT's parent, so that the ``multirun/`` and ``wandb/`` folders beside ROOT
  are covered; no ``..``, no absolute paths. An entry whose first part is
  ROOT's name as it was (the last part of ``root``) is resolved under ROOT as
  it is now, so a renamed or moved tree keeps its mappings.

A folder entry maps everything under it. A rolled-back migration removes its
folder. :class:`ocr.layout.MigrationLayout` names the file; :func:`mapping_file`
asks it.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ocr._json import loads
from ocr._reading import STATE_LIMIT, read_capped
from ocr._validation import NonEmptyText, RelativePosixPath, describe_problems
from ocr.errors import MigrationMappingInvalidError, MigrationMappingVersionError
from ocr.layout import RootLayout
from ocr.layout._shared import MIGRATION_ID_PATTERN

__all__ = [
    "MAPPING_SCHEMA_VERSION",
    "MigrationMapping",
    "mapping_file",
    "mapping_files",
    "read_mapping",
]

MAPPING_SCHEMA_VERSION: Final = 1


class MigrationMapping(BaseModel):
    """One migration's old-to-new mapping (``mapping.json``); see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = MAPPING_SCHEMA_VERSION
    migration_id: str = Field(pattern=MIGRATION_ID_PATTERN)
    created_at: AwareDatetime
    root: NonEmptyText
    entries: dict[RelativePosixPath, RelativePosixPath]

    def path_of(self, entry: str, *, root: Path) -> Path:
        """Where an entry's path is now, with the root at ``root`` (it may have moved).

        Args:
            entry: An old or new path of :attr:`entries` (relative to the
                root's parent as it was, so it starts with the root's old name
                or with a folder beside it).
            root: The output root as it is now (absolute).

        Returns:
            The absolute path.
        """
        first, *rest = PurePosixPath(entry).parts
        if first == PurePosixPath(self.root).name:
            return root.joinpath(*rest)
        return root.parent.joinpath(first, *rest)


def mapping_file(root: Path, migration_id: str) -> Path:
    """Where one migration's mapping lives: ``<root>/.ocr/migrations/<migration_id>/mapping.json``.

    Args:
        root: The output root.
        migration_id: The migration's ID.

    Returns:
        The mapping file's path (whether or not it exists).

    Raises:
        MigrationMappingInvalidError: The ID is not a plain folder name.

    >>> mapping_file(Path("/data/outputs"), "m1").as_posix()
    '/data/outputs/.ocr/migrations/m1/mapping.json'
    """
    return RootLayout(root).migration(migration_id).mapping_file


def mapping_files(root: Path) -> list[Path]:
    """The mapping files that exist under a root, in path order.

    Args:
        root: The output root.

    Returns:
        Every ``<root>/.ocr/migrations/<id>/mapping.json`` present.
    """
    found = (migration.mapping_file for migration in RootLayout(root).migrations())
    return [path for path in found if path.is_file()]


def read_mapping(path: Path) -> MigrationMapping:
    """Read and validate one mapping file.

    Args:
        path: A ``mapping.json``.

    Returns:
        The mapping.

    Raises:
        MigrationMappingInvalidError: The file is not JSON or breaks the schema
            (every problem is listed).
        MigrationMappingVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read (``UnsafeFileError``: no regular file).
    """
    try:
        raw = loads(read_capped(path, limit=STATE_LIMIT))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(path, f"not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise _invalid(path, f"expected a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if (
        isinstance(version, int)
        and not isinstance(version, bool)
        and version > MAPPING_SCHEMA_VERSION
    ):
        raise MigrationMappingVersionError(
            f"migration mapping {str(path)!r} has schema version {version}, newer than this "
            f"ocr understands ({MAPPING_SCHEMA_VERSION})",
            fix="Upgrade ocr (pip install --upgrade ocr)",
            path=path,
            value=version,
        )
    try:
        return MigrationMapping.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(path, describe_problems(exc)) from exc


def _invalid(path: Path, why: str) -> MigrationMappingInvalidError:
    return MigrationMappingInvalidError(
        f"migration mapping is invalid: {str(path)!r}: {why}",
        fix="Restore the file from the migration report, or delete its migration folder",
        path=path,
    )
