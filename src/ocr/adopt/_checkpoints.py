"""The project's ModelCheckpoint entry becomes ocr's UniqueModelCheckpoint.

``- ocr`` adds two Lightning callbacks to the ``callbacks`` node (the usual
convention: the project instantiates every entry with a ``_target_``):
``ocr_recorder`` and ``ocr_checkpoint``. A project that configures its own
``ModelCheckpoint`` there would then save twice (or trip Lightning's
"more than one stateful callback" check), so its entry is taken over instead:
its ``_target_`` becomes ``UniqueModelCheckpoint``, the options the layout owns
(``dirpath``, ``filename``, ``auto_insert_metric_name``) go, everything else
(monitor, mode, top-k, save-last, ...) stays, and ``ocr_checkpoint`` steps
aside. An entry that cannot fit the layout (it saves outside the run folder,
or keeps ``last.ckpt`` as a link), or a second ModelCheckpoint, is refused
with one line and the fix. A launch whose config turns the callbacks off
(``callbacks: null``, as debug configs do) keeps ocr's own two entries.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from ocr.errors import AdoptionError
from ocr.layout import RunLayout, packaged_config_dir

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["ADOPTION_NODE", "OCR_CHECKPOINT_ENTRY", "adopt_checkpoint_entries"]

ADOPTION_NODE: Final = "ocr"
"""The settings node ``ocr.yaml`` adds; its presence means the project adopted with ``- ocr``."""
OCR_CHECKPOINT_ENTRY: Final = "ocr_checkpoint"
_CALLBACKS: Final = "callbacks"
_OCR_CONFIG: Final = "ocr.yaml"
_UNIQUE_TARGET: Final = "ocr.callbacks.UniqueModelCheckpoint"
_LAYOUT_OWNED: Final = ("dirpath", "filename", "auto_insert_metric_name")
_KEPT: Final = ("monitor", "mode", "save_top_k", "save_last")


def adopt_checkpoint_entries(config: DictConfig, *, run_dir: Path) -> str | None:
    """Let ocr's UniqueModelCheckpoint take over the project's ModelCheckpoint entry.

    Args:
        config: The composed launch (or sweep job) config; changed in place.
        run_dir: A run folder of this launch (for a sweep, one job's), to tell
            whether the entry's ``dirpath`` lies inside it.

    Returns:
        One line saying what happened, or ``None`` when nothing was to do.

    Raises:
        AdoptionError: The callbacks config holds two ModelCheckpoints, or its
            one cannot fit the layout.
    """
    if ADOPTION_NODE not in config or _CALLBACKS not in config:
        return None
    callbacks = config[_CALLBACKS]
    if callbacks is None:
        return _keep_ours(config)
    if not isinstance(callbacks, DictConfig):
        return None
    theirs = [key for key, entry in _entries(callbacks) if _is_model_checkpoint(entry)]
    if not theirs:
        return None
    if len(theirs) > 1:
        listed = ", ".join(f"callbacks.{key}" for key in theirs)
        raise AdoptionError(
            f"the launch config holds {len(theirs)} ModelCheckpoints ({listed}); ocr's "
            "UniqueModelCheckpoint takes over one, and a second would save checkpoints without "
            "sidecars",
            fix=f"Keep one: remove the others from the config, or set callbacks.{theirs[1]}=null",
            value=theirs,
        )
    return _take_over(config, theirs[0], run_dir)


def _keep_ours(config: DictConfig) -> str:
    """``callbacks: null`` (a debug config) drops ocr's entries too; bring back ocr's own.

    Lightning saves checkpoints without any callback (its default
    ModelCheckpoint), so ocr's checkpoint callback comes back unless the
    trainer turns checkpointing off; the project's own callbacks stay off.
    """
    ours = cast("DictConfig", OmegaConf.load(packaged_config_dir("searchpath") / _OCR_CONFIG))
    # ocr.yaml's callbacks node is a mapping of entries, written as such.
    entries = cast("dict[str, Any]", OmegaConf.to_container(ours[_CALLBACKS], resolve=False))
    if OmegaConf.select(config, "trainer.enable_checkpointing", default=True) is False:
        del entries[OCR_CHECKPOINT_ENTRY]
    with read_write(config), open_dict(config):
        config[_CALLBACKS] = entries
    return (
        "ocr: this launch turns the project's callbacks off (callbacks: null, a debug config?); "
        f"ocr keeps its own ({', '.join(entries)}), so the run still gets its record"
        + (" and its checkpoints their sidecars" if OCR_CHECKPOINT_ENTRY in entries else "")
    )


def _entries(callbacks: DictConfig) -> Iterator[tuple[str, DictConfig]]:
    for key in callbacks:
        entry = callbacks.get(key)
        if key != OCR_CHECKPOINT_ENTRY and isinstance(entry, DictConfig) and "_target_" in entry:
            yield str(key), entry


def _is_model_checkpoint(entry: DictConfig) -> bool:
    from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: PLC0415 (lightning is heavy)

    try:
        target = get_class(str(entry["_target_"]))
    except (InstantiationException, ImportError, ValueError, OmegaConfBaseException):
        return False  # not a class we can import: the project's own instantiate will say why
    return issubclass(target, ModelCheckpoint)


def _take_over(config: DictConfig, key: str, run_dir: Path) -> str:
    entry = config[_CALLBACKS][key]
    target = str(entry["_target_"])
    _check_fits(config, key, run_dir)
    # ocr's own entry passes the ocr.* settings on; keep them as written (${ocr...}).
    ours = config[_CALLBACKS].get(OCR_CHECKPOINT_ENTRY)
    settings = OmegaConf.to_container(ours, resolve=False) if isinstance(ours, DictConfig) else {}
    # Deleting never resolves a value (pop would, and ${hydra:...} cannot resolve yet).
    with read_write(config), open_dict(config):
        entry["_target_"] = _UNIQUE_TARGET
        for option in _LAYOUT_OWNED:
            if option in entry:
                del entry[option]
        if OCR_CHECKPOINT_ENTRY in config[_CALLBACKS]:
            del config[_CALLBACKS][OCR_CHECKPOINT_ENTRY]
        for option in ("name_format", "identity"):
            if option not in entry and isinstance(settings, dict) and option in settings:
                entry[option] = settings[option]
    written = cast("dict[str, Any]", OmegaConf.to_container(entry, resolve=False))
    kept = ", ".join(f"{option}={written[option]!r}" for option in _KEPT if option in written)
    return (
        f"ocr: callbacks.{key} ({target}) is now ocr's UniqueModelCheckpoint: its checkpoints "
        f"and their sidecars go to <run folder>/checkpoints, keeping {kept or 'its options'}"
    )


def _check_fits(config: DictConfig, key: str, run_dir: Path) -> None:
    entry = config[_CALLBACKS][key]
    save_last = entry.get("save_last")
    if save_last not in (None, True, False):
        raise AdoptionError(
            f"callbacks.{key} keeps last.ckpt as {save_last!r}, which has no sidecar",
            fix=f"Set callbacks.{key}.save_last=true (or false)",
            value=save_last,
        )
    if "dirpath" not in entry:
        return
    dirpath = _resolved_in_run(config, f"{_CALLBACKS}.{key}.dirpath", run_dir)
    if dirpath is not None and not RunLayout(run_dir).holds(Path(str(dirpath))):
        raise AdoptionError(
            f"callbacks.{key} saves checkpoints to {str(dirpath)!r}, outside the run folder; ocr "
            "keeps them with their sidecars in <run folder>/checkpoints",
            fix=f"Remove callbacks.{key}.dirpath, or point it inside the run folder "
            "(${paths.output_dir}/checkpoints)",
            value=str(dirpath),
        )


def _resolved_in_run(config: DictConfig, key: str, run_dir: Path) -> Any:
    """Resolve ``key`` as the job in ``run_dir`` will (``${hydra:runtime.output_dir}`` set)."""
    probe = copy.deepcopy(config)
    with read_write(probe.hydra), open_dict(probe.hydra):
        probe.hydra.runtime.output_dir = str(run_dir)
    hydra_config = HydraConfig.instance()
    saved = hydra_config.cfg
    hydra_config.set_config(probe)
    try:
        return OmegaConf.select(probe, key, throw_on_resolution_failure=False)
    finally:
        hydra_config.cfg = saved
