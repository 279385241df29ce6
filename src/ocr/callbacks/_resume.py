"""Resuming from a migrated checkpoint: its callback state names folders that have moved.

A checkpoint keeps ``ModelCheckpoint``'s state: the folder it saved into and
the paths of its top-k checkpoints. After a migration those are the legacy
paths, so Lightning would warn that the folder changed and drop the top-k
state. When the compat mappings say the old folder is now the one the
callback saves into, the paths are translated instead (with the compat
layer's one warning per path), and training carries on keeping the same top k.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ocr.errors import OcrError
from ocr.layout import RootLayout

__all__ = ["translated_checkpoint_state"]

_PATH_KEYS: Final = ("best_model_path", "kth_best_model_path", "last_model_path")


def translated_checkpoint_state(
    state: dict[str, Any], run_dir: Path, dirpath: str | Path
) -> dict[str, Any]:
    """``ModelCheckpoint`` state with migrated paths translated to their new places.

    Args:
        state: The state the checkpoint holds.
        run_dir: The run folder the callback saves into.
        dirpath: The folder the callback saves checkpoints into.

    Returns:
        The state, translated when its folder was migrated to ``dirpath``;
        otherwise unchanged (Lightning then handles it as usual).
    """
    saved_dir = state.get("dirpath")
    located = RootLayout.of_run(run_dir)
    if not saved_dir or Path(saved_dir) == Path(dirpath) or located is None:
        return state
    root = located[0].root
    # The migration mappings (Pydantic) load only for a resume from another folder.
    from ocr.compat import translate  # noqa: PLC0415

    def moved(path: str | None) -> str | None:
        return str(translate(Path(path), root=root)) if path else path

    try:
        if moved(saved_dir) != str(Path(dirpath).resolve()):
            return state
        translated: dict[str, Any] = {
            key: moved(state.get(key)) for key in _PATH_KEYS if key in state
        }
        best_k = {moved(path): score for path, score in state.get("best_k_models", {}).items()}
    except (OcrError, OSError):
        return state  # not migrated here, or legacy support off: Lightning's usual handling
    return {**state, **translated, "dirpath": dirpath, "best_k_models": best_k}
