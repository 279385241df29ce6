"""The Hydra side of the layout: resolvers that put a launch in its folder.

``hydra.run.dir`` (and through it ``hydra.sweep.dir``) is
``${ocr_launch_dir:<output root>}``. The resolver is registered with
OmegaConf's cache, and Hydra copies that cache into every job config of a
sweep, so the folder is allocated once per launch however often it is read.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from omegaconf import OmegaConf

from ocr.errors import ConfigDirNotFoundError, RunPathParseError
from ocr.layout._names import allocate_launch_dir
from ocr.layout._paths import RunLayout

__all__ = [
    "LAUNCH_DIR_RESOLVER",
    "ROOT_RESOLVER",
    "RUN_PATH_RESOLVER",
    "hydra_job_name",
    "hydra_run_dir",
    "launch_dir",
    "packaged_config_dir",
    "register_resolvers",
]

LAUNCH_DIR_RESOLVER: Final = "ocr_launch_dir"
ROOT_RESOLVER: Final = "ocr_root"
RUN_PATH_RESOLVER: Final = "ocr_run_path"
_RUN_PATH_NAMES: Final = ("checkpoint_dir", "log_dir", "artifact_dir", "hydra_dir", "record_file")


def register_resolvers() -> None:
    """Register ocr's OmegaConf resolvers; safe to call any number of times.

    ``ocr_launch_dir:ROOT`` allocates the launch folder under ``ROOT``;
    ``ocr_root:ROOT`` makes ``ROOT`` absolute (a relative root is taken from
    the launch directory, even after Hydra changed into the run folder);
    ``ocr_run_path:NAME,RUN_DIR`` gives one path of :class:`RunLayout`, e.g.
    ``checkpoint_dir``.
    """
    if not OmegaConf.has_resolver(LAUNCH_DIR_RESOLVER):
        OmegaConf.register_new_resolver(LAUNCH_DIR_RESOLVER, _resolve_launch_dir, use_cache=True)
    if not OmegaConf.has_resolver(ROOT_RESOLVER):
        OmegaConf.register_new_resolver(ROOT_RESOLVER, _resolve_root)
    if not OmegaConf.has_resolver(RUN_PATH_RESOLVER):
        OmegaConf.register_new_resolver(RUN_PATH_RESOLVER, _resolve_run_path)


def _resolve_launch_dir(root: str) -> str:
    return str(allocate_launch_dir(Path(_resolve_root(root))))


def _resolve_root(root: str) -> str:
    path = Path(root).expanduser()
    return str(path if path.is_absolute() else launch_dir() / path)


def launch_dir() -> Path:
    """The directory the current launch started in, before any ``chdir``.

    Returns:
        Hydra's ``runtime.cwd`` inside a Hydra job; otherwise the process's
        directory (also true while a sweeper reads ``hydra.sweep.dir``, before
        Hydra's config is set).
    """
    from hydra.core.hydra_config import HydraConfig  # noqa: PLC0415 (hydra is heavy)

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.cwd)
    return Path.cwd()


def hydra_run_dir() -> Path | None:
    """The run folder of the current Hydra job, or ``None`` outside Hydra."""
    from hydra.core.hydra_config import HydraConfig  # noqa: PLC0415 (hydra is heavy)

    if not HydraConfig.initialized():
        return None
    return Path(HydraConfig.get().runtime.output_dir)


def hydra_job_name() -> str | None:
    """Hydra's job name (its log is ``<name>.log``), or ``None`` outside Hydra."""
    from hydra.core.hydra_config import HydraConfig  # noqa: PLC0415 (hydra is heavy)

    return str(HydraConfig.get().job.name) if HydraConfig.initialized() else None


def _resolve_run_path(name: str, run_dir: str) -> str:
    if name not in _RUN_PATH_NAMES:
        raise RunPathParseError(
            f"unknown run path {name!r} in ${{{RUN_PATH_RESOLVER}:...}}",
            fix=f"Use one of {', '.join(_RUN_PATH_NAMES)}",
            value=name,
        )
    return str(getattr(RunLayout(Path(run_dir)), name))


def packaged_config_dir() -> Path:
    """The folder of ocr's Hydra configs, installed or in a checkout.

    A wheel ships them as ``ocr/configs``; an editable install or a checkout
    keeps them in ``configs/`` at the repository top.

    Returns:
        The absolute config folder (holding ``train.yaml``).

    Raises:
        ConfigDirNotFoundError: Neither place holds the configs.
    """
    installed = Path(str(resources.files("ocr"))) / "configs"
    checkout = Path(__file__).resolve().parents[3] / "configs"
    for candidate in (installed, checkout):
        if (candidate / "train.yaml").is_file():
            return candidate
    raise ConfigDirNotFoundError(
        f"ocr's Hydra configs are missing: neither {str(installed)!r} nor {str(checkout)!r} holds train.yaml",
        fix="Reinstall ocr (pip install --force-reinstall ocr)",
        path=installed,
    )
