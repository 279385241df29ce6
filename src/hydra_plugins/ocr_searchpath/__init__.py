"""Hydra plugin: puts ocr's configs on every Hydra app's search path.

Hydra imports the ``hydra_plugins`` namespace at start-up, so an existing
trainer with ocr installed can name ``hydra/ocr_layout`` in its defaults list
without any import; this also registers ocr's resolvers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.plugins.search_path_plugin import SearchPathPlugin

from ocr import layout, registry

if TYPE_CHECKING:
    from hydra.core.config_search_path import ConfigSearchPath

__all__ = ["OcrSearchPathPlugin"]


class OcrSearchPathPlugin(SearchPathPlugin):
    """Appends ocr's packaged configs to Hydra's config search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Register ocr's resolvers and append its config folder.

        Args:
            search_path: Hydra's search path for this app.
        """
        layout.register_resolvers()
        registry.register_resolvers()
        search_path.append(provider="ocr", path=f"file://{layout.packaged_config_dir()}")
