"""A tiny DBNet-style text detector assembled from named encoders, decoders and heads.

The parts live in :mod:`ocr.train.components`; :func:`build_model` puts three
of them together by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from torch import Tensor, nn

from ocr.errors import UnknownComponentError
from ocr.train.components import DECODERS, ENCODERS, HEADS, Decoder, Encoder, Head

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DBNet", "build_model", "check_components"]


class DBNet(nn.Module):
    """Encoder, decoder and head chained into a detector.

    Args:
        encoder: Multi-scale feature extractor.
        decoder: Feature fusion to stride 4.
        head: Map predictor.
    """

    architecture: ClassVar[str] = "dbnet"

    def __init__(self, encoder: Encoder, decoder: Decoder, head: Head) -> None:
        super().__init__()
        self.encoder, self.decoder, self.head = encoder, decoder, head

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """Predict ``prob``, ``thresh`` and ``binary`` maps (Bx1xHxW) for Bx3xHxW images."""
        features = self.encoder(images)
        maps: dict[str, Tensor] = self.head(
            self.decoder(features), size=(images.shape[-2], images.shape[-1])
        )
        return maps


_Component = TypeVar("_Component")


def _lookup(kind: str, name: str, registry: Mapping[str, _Component]) -> _Component:
    if name not in registry:
        raise UnknownComponentError(
            f"unknown {kind} {name!r}",
            fix=f"Use one of: {', '.join(sorted(registry))}",
            value=name,
        )
    return registry[name]


def check_components(
    *, architecture: str = "dbnet", encoder: str, decoder: str, head: str = "db_head"
) -> None:
    """Check that every part of a detector is known by name, without building it.

    Args:
        architecture: Model family; only ``"dbnet"`` exists.
        encoder: A key of :data:`ENCODERS`.
        decoder: A key of :data:`DECODERS`.
        head: A key of :data:`HEADS`.

    Raises:
        UnknownComponentError: If a name is not registered; the message lists valid names.

    >>> check_components(encoder="tiny_resnet", decoder="unet")
    """
    _parts(architecture, encoder, decoder, head)


def _parts(
    architecture: str, encoder: str, decoder: str, head: str
) -> tuple[type[DBNet], type[Encoder], type[Decoder], type[Head]]:
    return (
        _lookup("architecture", architecture, {DBNet.architecture: DBNet}),
        _lookup("encoder", encoder, ENCODERS),
        _lookup("decoder", decoder, DECODERS),
        _lookup("head", head, HEADS),
    )


def build_model(
    *,
    architecture: str = "dbnet",
    encoder: str,
    decoder: str,
    head: str = "db_head",
    width: int = 8,
) -> DBNet:
    """Build a detector from component names.

    Args:
        architecture: Model family; only ``"dbnet"`` exists.
        encoder: A key of :data:`ENCODERS`.
        decoder: A key of :data:`DECODERS`.
        head: A key of :data:`HEADS`.
        width: Base channel count (encoder stride-4 channels, FPN and head width).

    Returns:
        The untrained model.

    Raises:
        UnknownComponentError: If a name is not registered; the message lists valid names.
        ValueError: If ``width`` is not positive.
    """
    model_cls, encoder_cls, decoder_cls, head_cls = _parts(architecture, encoder, decoder, head)
    if width < 1:
        raise ValueError(f"width must be a positive channel count, got {width}")
    enc = encoder_cls(width=width)
    dec = decoder_cls(enc.out_channels, width=width)
    return model_cls(enc, dec, head_cls(dec.out_channels, width=width))
