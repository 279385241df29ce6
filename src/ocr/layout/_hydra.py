"""The Hydra side of the layout: resolvers that put a launch in its folder.

``hydra.run.dir`` (and through it ``hydra.sweep.dir``) is
``${ocr_launch_dir:${ocr_output_root:}}``. The launch folder is allocated once
per config and output root: the resolver keeps it in the config's own resolver
cache under the resolved root (OmegaConf's cache would key it by the argument
as written, and a config merged over ``hydra.run.dir`` makes OmegaConf resolve
it mid-composition, before the command-line overrides that choose the root).
Hydra copies that cache into every job config of a sweep, so a launch reads
one folder however often and wherever it asks. A folder claimed but never used
(a composition that was thrown away, a root that changed) is removed at exit
(:mod:`ocr.layout._claims`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from omegaconf import OmegaConf

from ocr.errors import ConfigDirNotFoundError, RunPathParseError
from ocr.layout._claims import claim_launch_dir
from ocr.layout._paths import RunLayout

if TYPE_CHECKING:
    from omegaconf import Container
    from omegaconf.basecontainer import BaseContainer

__all__ = [
    "DEFAULT_OUTPUT_ROOT",
    "LAUNCH_DIR_RESOLVER",
    "OUTPUT_ROOT_RESOLVER",
    "ROOT_RESOLVER",
    "RUN_PATH_RESOLVER",
    "ConfigSet",
    "hydra_job_name",
    "hydra_run_dir",
    "launch_dir",
    "output_root_of",
    "packaged_config_dir",
    "register_resolvers",
]

LAUNCH_DIR_RESOLVER: Final = "ocr_launch_dir"
OUTPUT_ROOT_RESOLVER: Final = "ocr_output_root"
ROOT_RESOLVER: Final = "ocr_root"
RUN_PATH_RESOLVER: Final = "ocr_run_path"
DEFAULT_OUTPUT_ROOT: Final = "outputs"
_RUN_PATH_NAMES: Final = ("checkpoint_dir", "log_dir", "artifact_dir", "hydra_dir", "record_file")

ConfigSet = Literal["searchpath", "train"]
"""ocr's two config folders: ``searchpath`` (on every Hydra app's search path:
``ocr.yaml`` and ``hydra/ocr_layout.yaml``) and ``train`` (the reference
trainer's ``train.yaml`` and its groups, for ``ocr-train`` only)."""
_MARKERS: Final[dict[str, str]] = {"searchpath": "ocr.yaml", "train": "train.yaml"}


def register_resolvers() -> None:
    """Register the layout's OmegaConf resolvers; safe to call any number of times.

    ``ocr_launch_dir:ROOT`` allocates the launch folder under ``ROOT``;
    ``ocr_output_root:`` is the output root the config asks for (see
    :func:`output_root_of`); ``ocr_root:ROOT`` makes ``ROOT`` absolute (a
    relative root is taken from the launch directory, even after Hydra changed
    into the run folder); ``ocr_run_path:NAME,RUN_DIR`` gives one path of
    :class:`RunLayout`, e.g. ``checkpoint_dir``.
    """
    if not OmegaConf.has_resolver(LAUNCH_DIR_RESOLVER):
        OmegaConf.register_new_resolver(LAUNCH_DIR_RESOLVER, _resolve_launch_dir)
    if not OmegaConf.has_resolver(OUTPUT_ROOT_RESOLVER):
        OmegaConf.register_new_resolver(OUTPUT_ROOT_RESOLVER, _resolve_output_root)
    if not OmegaConf.has_resolver(ROOT_RESOLVER):
        OmegaConf.register_new_resolver(ROOT_RESOLVER, _resolve_root)
    if not OmegaConf.has_resolver(RUN_PATH_RESOLVER):
        OmegaConf.register_new_resolver(RUN_PATH_RESOLVER, _resolve_run_path)


def _resolve_launch_dir(output_root: str, *, _root_: BaseContainer) -> str:
    root = _resolve_root(output_root)
    # The config's own cache, keyed by the root as resolved (see the module's docstring).
    claimed: dict[str, str] = OmegaConf.get_cache(_root_).setdefault(LAUNCH_DIR_RESOLVER, {})
    if root not in claimed:
        claimed[root] = str(claim_launch_dir(Path(root)))
    return claimed[root]


def _resolve_root(root: str) -> str:
    return str(_absolute(root, launch_dir()))


def _resolve_output_root(*, _root_: Container) -> str:
    return str(output_root_of(_root_))


def output_root_of(config: Container) -> Path:
    """The output root a composed config asks for, absolute.

    The root is ``ocr.output_root``, else ``paths.output_root``, else
    ``outputs``. A relative root is taken from the project root when the
    config names one (``paths.root_dir``, the usual convention), else from the
    launch directory. With ``ocr.task_trees: true`` each task gets its own
    tree: ``<root>/<ocr.task_name>``.

    Args:
        config: The composed config (the whole config, as Hydra built it).

    Returns:
        The absolute output root.

    Raises:
        RunPathParseError: With task trees on, the task name cannot be a folder name.
    """
    root = _select(config, "ocr.output_root") or _select(config, "paths.output_root")
    project = _select(config, "paths.root_dir")
    base = _absolute(project, launch_dir()) if project else launch_dir()
    folder = _absolute(root or DEFAULT_OUTPUT_ROOT, base)
    if OmegaConf.select(config, "ocr.task_trees", default=False) is True:
        folder = folder / _task_folder(_select(config, "ocr.task_name"))
    return folder


def _select(config: Container, key: str) -> str | None:
    value = OmegaConf.select(config, key, default=None)
    return None if value is None or str(value) == "" else str(value)


def _absolute(path: str, base: Path) -> Path:
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else base / resolved


def _task_folder(task_name: str | None) -> str:
    if task_name is None or task_name in (".", "..") or "/" in task_name or "\\" in task_name:
        raise RunPathParseError(
            f"ocr.task_trees needs a task name that is a folder name, got {task_name!r}",
            fix="Set task_name (or ocr.task_name) to a plain name such as 'train'",
            value=task_name,
        )
    return task_name


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


def packaged_config_dir(which: ConfigSet) -> Path:
    """One of ocr's config folders, installed or in a checkout.

    A wheel ships them as ``ocr/configs/<which>``; an editable install or a
    checkout keeps them in ``configs/<which>`` at the repository top.

    Args:
        which: ``searchpath`` (on every Hydra app's search path) or ``train``
            (the reference trainer's configs).

    Returns:
        The absolute config folder.

    Raises:
        ConfigDirNotFoundError: Neither place holds the configs.
    """
    here = Path(__file__).resolve()  # <package>/layout/_hydra.py
    installed = here.parents[1] / "configs" / which
    checkout = here.parents[3] / "configs" / which
    marker = _MARKERS[which]
    for candidate in (installed, checkout):
        if (candidate / marker).is_file():
            return candidate
    raise ConfigDirNotFoundError(
        f"ocr's Hydra configs are missing: neither {str(installed)!r} nor {str(checkout)!r} "
        f"holds {marker}",
        fix="Reinstall ocr (pip install --force-reinstall ocr)",
        path=installed,
    )
