"""Hydra plugin: puts ocr's adoption configs on every Hydra app's search path.

Hydra imports the ``hydra_plugins`` namespace at the start of every Hydra app,
so an existing trainer with ocr installed can name ``ocr`` (or
``hydra/ocr_layout``) in its defaults list without any import; this also
registers ocr's resolvers. Only ``configs/searchpath`` goes on the path (the
reference trainer's groups stay with ``ocr-train``), and nothing heavy is
imported here: every Hydra start pays for this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.plugins.search_path_plugin import SearchPathPlugin

if TYPE_CHECKING:
    from hydra.core.config_search_path import ConfigSearchPath

__all__ = ["OcrSearchPathPlugin"]


class OcrSearchPathPlugin(SearchPathPlugin):
    """Appends ocr's search-path configs to Hydra's config search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Register ocr's resolvers and append its search-path config folder.

        Args:
            search_path: Hydra's search path for this app.
        """
        from ocr.layout import packaged_config_dir  # noqa: PLC0415 (imported when Hydra asks)
        from ocr.resolvers import register_resolvers  # noqa: PLC0415

        register_resolvers()
        folder = packaged_config_dir("searchpath")
        search_path.append(provider="ocr", path=f"file://{folder}")
