"""Read-only compatibility with the legacy output trees; it never writes anything.

What a user needs: :func:`translate` turns an old checkpoint path into its new
one through the migrator's mappings (warning once per path with
:class:`LegacyPathWarning`), the mapping readers (:func:`mapping_files`,
:func:`read_mapping`, ...), :class:`LegacyFolders` (the legacy sweep and W&B
folders the catalog and the migrator read beside a root), and the switch:
``OCR_LEGACY=0`` turns legacy support off (:func:`is_legacy_enabled`), so its
removal can be tried before it happens. The readers of every legacy shape of
docs/legacy-formats.md (names, sidecars, the run folder of a checkpoint found
by what folders hold at any depth, folder-name timestamps, configs) are
machinery the catalog, the migrator and validate share; see docs/compat.md. Each name is
imported on first use: a warm catalog scan needs only the switch and the
legacy folders, not the Pydantic models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
    from ocr.compat._legacy_folders import LegacyFolders
    from ocr.compat._mapping import (
        MAPPING_SCHEMA_VERSION,
        MigrationMapping,
        mapping_file,
        mapping_files,
        read_mapping,
    )
    from ocr.compat._switch import LEGACY_ENV_VAR, is_legacy_enabled, set_legacy_enabled
    from ocr.compat._translate import LegacyPathWarning, load_mappings, merge_mappings, translate


__all__ = [
    "LEGACY_ENV_VAR",
    "MAPPING_SCHEMA_VERSION",
    "LegacyFolders",
    "LegacyPathWarning",
    "MigrationMapping",
    "is_legacy_enabled",
    "load_mappings",
    "mapping_file",
    "mapping_files",
    "merge_mappings",
    "read_mapping",
    "set_legacy_enabled",
    "translate",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.compat._legacy_folders": ["LegacyFolders"],
        "ocr.compat._mapping": [
            "MAPPING_SCHEMA_VERSION",
            "MigrationMapping",
            "mapping_file",
            "mapping_files",
            "read_mapping",
        ],
        "ocr.compat._switch": ["LEGACY_ENV_VAR", "is_legacy_enabled", "set_legacy_enabled"],
        "ocr.compat._translate": [
            "LegacyPathWarning",
            "load_mappings",
            "merge_mappings",
            "translate",
        ],
    },
)
