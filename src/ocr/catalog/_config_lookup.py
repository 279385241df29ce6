"""The saved Hydra config of each checkpoint's run, for ``config.*`` keys of a query.

A run's config is its ``.hydra/config.yaml`` (``RunLayout(run_dir).config_file``).
A legacy run without one of its own may have it in another folder (era C,
joined by timestamp through W&B): ``ocr.compat`` finds that one. Each file is
read once per lookup, with a safe YAML load only (:func:`ocr._yaml.safe_load`);
a missing or unreadable config makes every ``config.*`` key unknown for that
run's checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ocr._reading import METADATA_LIMIT, read_capped, real_folders
from ocr._yaml import safe_load
from ocr.compat._shared import locate_legacy_run
from ocr.errors import UnsafeFileError
from ocr.layout import RunLayout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog._entry import CatalogEntry
    from ocr.compat import LegacyFolders

__all__ = ["RunConfigLookup"]


class RunConfigLookup:
    """Gives a catalog entry's saved run config: a ``config_lookup`` for queries.

    Get one from :meth:`ocr.catalog.CheckpointCatalog.config_lookup` and pass
    it to :func:`ocr.catalog.parse_where` and :func:`ocr.catalog.best_per_group`.
    Keep one for the duration of a query: it reads each config file once and
    remembers it (and never notices later edits).

    Args:
        roots: Each catalog root with its legacy sweep and W&B folders (used to
            join era C runs to their configs).

    Attributes:
        problems: One line per config file that exists but could not be read.

    >>> from ocr.catalog._entry import CatalogEntry
    >>> lookup = RunConfigLookup([])
    >>> lookup(CatalogEntry(path="/x/a.ckpt", layout="new", sidecar="missing")) is None
    True
    """

    def __init__(self, roots: Sequence[tuple[Path, LegacyFolders]]) -> None:
        self._roots = list(roots)
        self._inside = real_folders(
            [top for root, legacy in self._roots for top in legacy.tops(root)]
        )
        self._files: dict[str, Path | None] = {}
        self._configs: dict[Path, Mapping[str, object] | None] = {}
        self.problems: list[str] = []

    def __call__(self, entry: CatalogEntry) -> Mapping[str, object] | None:
        """Return the entry's run config as nested mappings, ``None`` when unknown.

        Args:
            entry: The checkpoint's entry.

        Returns:
            The parsed config (interpolations such as ``${paths.root}`` left as
            written), or ``None`` when the run has no readable config.
        """
        config_file = self.config_file(entry)
        if config_file is None:
            return None
        if config_file not in self._configs:
            self._configs[config_file] = self._read(config_file)
        return self._configs[config_file]

    def config_file(self, entry: CatalogEntry) -> Path | None:
        """Return the config file of the entry's run, ``None`` when it has none.

        Args:
            entry: The checkpoint's entry.

        Returns:
            The run folder's own ``.hydra/config.yaml`` when it exists, else
            the one ``ocr.compat`` joins a legacy run to, else ``None``.
        """
        run_dir = entry.run_dir
        if run_dir is None:
            return None
        if run_dir not in self._files:
            own = RunLayout(Path(run_dir)).config_file
            self._files[run_dir] = own if own.is_file() else self._joined(Path(entry.path))
        return self._files[run_dir]

    def _joined(self, checkpoint: Path) -> Path | None:
        for root, legacy in self._roots:
            tops = legacy.tops(root)
            if any(checkpoint.is_relative_to(top) for top in tops):
                run = locate_legacy_run(checkpoint, roots=tops, legacy=legacy)
                return None if run is None else run.config_file
        return None

    def _read(self, config_file: Path) -> Mapping[str, object] | None:
        try:
            text = read_capped(config_file, limit=METADATA_LIMIT, inside=self._inside)
            config = safe_load(text.decode("utf-8"))
        except FileNotFoundError:
            return None  # removed since it was found: unknown, like no config
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            why = str(exc.cause if isinstance(exc, UnsafeFileError) else exc).replace("\n", " ")
            self.problems.append(f"{str(config_file)!r}: unreadable run config ({why})")
            return None
        if isinstance(config, Mapping):
            return config
        if config is not None:
            kind = type(config).__name__
            self.problems.append(f"{str(config_file)!r}: the run config holds a {kind}, not keys")
        return None
