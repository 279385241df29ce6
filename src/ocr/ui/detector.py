"""A checkpoint's model, built from its run's config and loaded for inference, cached.

The model is what the run's saved config builds (``hydra.utils.instantiate`` of
its ``model`` node, once :mod:`ocr.ui.compatibility` has accepted it); the
weights come from :func:`ocr.catalog.read_checkpoint` (``torch.load(weights_only=True)``).
A :class:`ModelCache` keeps the last few models by path, size and modification
time, so a second look at a checkpoint does not build it again, and a
checkpoint rewritten on disk is built afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from torch import nn

from ocr.catalog import read_checkpoint
from ocr.errors import CheckpointLoadError, ModelBuildError
from ocr.train.data import normalize_image, scale_image

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from numpy.typing import NDArray

    from ocr.ui.compatibility import Buildability

__all__ = ["CheckpointKey", "Detector", "ModelCache", "build_detector"]

_COMPILED_PREFIX: Final = "_orig_mod."  # torch.compile's wrapper in a saved state dict
_PROBABILITY_KEYS: Final = ("prob", "prob_maps", "probability")


@dataclass(frozen=True)
class CheckpointKey:
    """A checkpoint file as it is now: its path, size and modification time.

    Args:
        path: The file.
        size: Its size in bytes.
        mtime_ns: Its modification time.
    """

    path: Path
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path, *, within: Sequence[Path]) -> CheckpointKey:
        """Stat a checkpoint that must lie inside the app's folders.

        Args:
            path: The file.
            within: The folders the app may read (links are resolved first).

        Returns:
            Its key.

        Raises:
            CheckpointLoadError: The file is gone (deleted since it was listed),
                or it (or a link on the way) leads outside ``within``.
        """
        try:
            target = path.resolve(strict=True)
            stat = target.stat()
        except FileNotFoundError as exc:
            raise CheckpointLoadError(
                f"checkpoint {str(path)!r} no longer exists",
                fix="Refresh the checkpoint list",
                path=path,
            ) from exc
        if not any(target.is_relative_to(top.resolve()) for top in within):
            raise CheckpointLoadError(
                f"checkpoint {str(path)!r} leads to {str(target)!r}, outside the folders the app "
                "reads",
                fix="Start `ocr ui` on the root that holds it",
                path=path,
            )
        return cls(path, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class Detector:
    """A model ready to turn an image into a text probability map.

    Args:
        key: The checkpoint it was loaded from.
        module: The model, in evaluation mode.
        target: The class that built it.
    """

    key: CheckpointKey
    module: nn.Module
    target: str

    def probability(
        self, image: NDArray[np.uint8], *, size: tuple[int, int]
    ) -> NDArray[np.float32]:
        """The text probability map of an image, at the network's input size.

        The image is resized and normalised as the reference trainer feeds
        images (:func:`ocr.train.data.scale_image`, :func:`~ocr.train.data.normalize_image`).

        Args:
            image: An HxWx3 uint8 image.
            size: The (height, width) the network sees.

        Returns:
            The ``size`` map of probabilities in [0, 1].

        Raises:
            ModelBuildError: The model's output holds no probability map.
        """
        batch = normalize_image(scale_image(image, height=size[0], width=size[1]))[None]
        with torch.inference_mode():
            output = self.module(batch)
        return _probability_map(output, self.target)


def build_detector(key: CheckpointKey, verdict: Buildability) -> Detector:
    """Build a checkpoint's model from its run's config and load its weights.

    Args:
        key: The checkpoint.
        verdict: What :func:`ocr.ui.compatibility.check_buildable` said of its run config.

    Returns:
        The detector, in evaluation mode.

    Raises:
        ModelBuildError: The verdict says it cannot be built, or building failed.
        CheckpointLoadError: The weights cannot be read or do not fit the model.
    """
    if not verdict.buildable or verdict.target is None:
        raise ModelBuildError(verdict.reason, fix=verdict.fix or "", path=key.path)
    try:
        module = instantiate(dict(verdict.model_config))
    except InstantiationException as exc:
        # The model's own constructor refused its config (a wrong value, a missing file).
        raise ModelBuildError(
            f"building {verdict.target} from its run config failed: {_first_line(exc.__cause__ or exc)}",
            fix="Check the model node of the run's config",
            path=key.path,
        ) from exc
    if not isinstance(module, nn.Module):  # the verdict checked the class; this is its instance
        raise ModelBuildError(
            f"{verdict.target} built a {type(module).__name__}, not a torch module",
            fix="Point the config's model._target_ at the model class",
            path=key.path,
        )
    _load_weights(module, read_checkpoint(key.path), key.path)
    return Detector(key, module.eval(), verdict.target)


def _load_weights(module: nn.Module, loaded: Mapping[str, Any], path: Path) -> None:
    state = loaded.get("state_dict", loaded)
    tensors = {
        str(name).replace(_COMPILED_PREFIX, ""): value
        for name, value in (state.items() if isinstance(state, Mapping) else ())
        if isinstance(value, torch.Tensor)
    }
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        why = str(exc).splitlines()[0].rstrip(":")
        detail = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
        raise CheckpointLoadError(
            f"the weights of {str(path)!r} do not fit the model its run config builds ({why}: {detail})",
            fix="Check that the run config is the one the checkpoint was trained with",
            path=path,
        ) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _probability_map(output: object, target: str) -> NDArray[np.float32]:
    found = output
    if isinstance(output, Mapping):
        found = next((output[key] for key in _PROBABILITY_KEYS if key in output), None)
    if not isinstance(found, torch.Tensor) or found.ndim != 4 or found.shape[:2] != (1, 1):
        shape = list(output) if isinstance(output, Mapping) else type(output).__name__
        raise ModelBuildError(
            f"{target} returned {shape}, not a probability map",
            fix=f"Return a Bx1xHxW tensor, or a dict holding one under {' or '.join(map(repr, _PROBABILITY_KEYS))}",
        )
    return np.asarray(found[0, 0].float().clamp(0.0, 1.0).numpy(), dtype=np.float32)


class ModelCache:
    """The last few detectors, by checkpoint path, size and modification time.

    Shared by every session of the app (it is thread-safe); a model is built
    once per checkpoint version, however many pages and sessions ask for it.

    Args:
        capacity: How many models to keep (least recently used go first).
        build: What builds a detector (default :func:`build_detector`).
    """

    def __init__(
        self,
        *,
        capacity: int = 4,
        build: Callable[[CheckpointKey, Buildability], Detector] = build_detector,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.builds = 0
        self._build = build
        self._models: OrderedDict[CheckpointKey, Detector] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CheckpointKey, verdict: Buildability) -> Detector:
        """The detector of a checkpoint version, built on first use.

        Args:
            key: The checkpoint as it is now (:meth:`CheckpointKey.of`).
            verdict: Its buildability.

        Returns:
            The detector.

        Raises:
            ModelBuildError: It cannot be built.
            CheckpointLoadError: Its weights cannot be loaded.
        """
        with self._lock:  # one build per checkpoint, even when two sessions ask at once
            found = self._models.get(key)
            if found is None:
                found = self._build(key, verdict)
                self.builds += 1
                self._models[key] = found
                while len(self._models) > self.capacity:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return found
