"""Each job of a sweep is put into ocr's layout as the sweep itself was.

A launcher composes every job's config again from the primary config and the
job's overrides (``ConfigLoader.load_sweep_config``), so what ocr took over in
the sweep's config at start-up is gone again in each job's. While such a sweep
runs, ocr's launch callback hands the launcher this loader, which lets Hydra's
own loader compose each job and then adopts the result the same way. It is
installed only when the sweep needed a take-over (``- ocr`` composed before the
project's own settings), and removed when the sweep ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hydra.core.config_loader import ConfigLoader
from hydra.core.object_type import ObjectType

from ocr.adopt._adoption import adopt_config

if TYPE_CHECKING:
    from hydra.core.config_search_path import ConfigSearchPath
    from hydra.plugins.config_source import ConfigSource
    from hydra.types import RunMode
    from omegaconf import DictConfig

__all__ = ["AdoptingConfigLoader"]


class AdoptingConfigLoader(ConfigLoader):
    """Hydra's config loader, adopting every sweep job's config into ocr's layout.

    Args:
        inner: The loader Hydra built; everything is asked of it.
    """

    def __init__(self, inner: ConfigLoader) -> None:
        self.inner = inner

    def load_sweep_config(
        self, master_config: DictConfig, sweep_overrides: list[str]
    ) -> DictConfig:
        """Compose one job's config with Hydra's loader, then adopt it."""
        config = self.inner.load_sweep_config(master_config, sweep_overrides)
        adopt_config(config, sweep=True)
        return config

    def load_configuration(
        self,
        config_name: str | None,
        overrides: list[str],
        run_mode: RunMode,
        from_shell: bool = True,
        validate_sweep_overrides: bool = True,
    ) -> DictConfig:
        """Hydra's loader's answer."""
        return self.inner.load_configuration(
            config_name, overrides, run_mode, from_shell, validate_sweep_overrides
        )

    def get_search_path(self) -> ConfigSearchPath:
        """Hydra's loader's answer."""
        return self.inner.get_search_path()

    def get_sources(self) -> list[ConfigSource]:
        """Hydra's loader's answer."""
        return self.inner.get_sources()

    def list_groups(self, parent_name: str) -> list[str]:
        """Hydra's loader's answer."""
        return self.inner.list_groups(parent_name)

    def get_group_options(
        self,
        group_name: str,
        results_filter: ObjectType | None = ObjectType.CONFIG,
        config_name: str | None = None,
        overrides: list[str] | None = None,
    ) -> list[str]:
        """Hydra's loader's answer."""
        return self.inner.get_group_options(group_name, results_filter, config_name, overrides)

    def compute_defaults_list(
        self, config_name: str | None, overrides: list[str], run_mode: RunMode
    ) -> Any:
        """Hydra's loader's answer."""
        return self.inner.compute_defaults_list(config_name, overrides, run_mode)
