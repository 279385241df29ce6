"""The named parts of the tiny DBNet: encoders, decoders and heads.

Encoders return features at strides 4, 8, 16 and 32 with ``width * (1, 2, 4, 8)``
channels; decoders fuse them into one stride-4 map; the head predicts full-resolution
probability, threshold and approximate binary maps (Liao et al., "Real-time Scene Text
Detection with Differentiable Binarization", 2020). Each part has a ``name``, the
key it is registered under and what a sidecar calls it.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Final, cast

import torch
from torch import Tensor, nn
from torch.nn import functional

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "DECODERS",
    "ENCODERS",
    "HEADS",
    "DBHead",
    "Decoder",
    "Encoder",
    "FPNDecoder",
    "Head",
    "TinyCNNEncoder",
    "TinyResNetEncoder",
    "UNetDecoder",
]

STAGE_MULTIPLIERS: Final = (1, 2, 4, 8)
BINARIZE_K: Final = 50.0
PROB_PRIOR: Final = 0.05
THRESH_PRIOR: Final = 0.3


def _conv(
    in_channels: int, out_channels: int, *, stride: int = 1, relu: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """Base of encoders: an image batch in, features at strides 4, 8, 16, 32 out.

    Args:
        width: Channels at stride 4; deeper stages multiply it by 2, 4 and 8.
    """

    name: ClassVar[str]

    def __init__(self, *, width: int) -> None:
        super().__init__()
        self.out_channels: tuple[int, ...] = tuple(width * m for m in STAGE_MULTIPLIERS)
        self.stem = nn.Sequential(_conv(3, width, stride=2), _conv(width, width, stride=2))
        self.stages = nn.ModuleList(
            self._stage(c_in, c_out, stride=1 if i == 0 else 2)
            for i, (c_in, c_out) in enumerate(
                zip((width, *self.out_channels[:-1]), self.out_channels, strict=True)
            )
        )

    def _stage(self, in_channels: int, out_channels: int, *, stride: int) -> nn.Module:
        raise NotImplementedError

    def forward(self, images: Tensor) -> list[Tensor]:
        """Encode images.

        Args:
            images: Bx3xHxW normalised images.

        Returns:
            Four feature maps, at strides 4, 8, 16 and 32.
        """
        features, x = [], self.stem(images)
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


class TinyCNNEncoder(Encoder):
    """Plain stack of conv-BN-ReLU pairs, one stride-2 pair per stage."""

    name: ClassVar[str] = "tiny_cnn"

    def _stage(self, in_channels: int, out_channels: int, *, stride: int) -> nn.Module:
        return nn.Sequential(
            _conv(in_channels, out_channels, stride=stride), _conv(out_channels, out_channels)
        )


class _BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, *, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(in_channels, out_channels, stride=stride),
            _conv(out_channels, out_channels, relu=False),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        return functional.relu(self.body(x) + self.shortcut(x))


class TinyResNetEncoder(Encoder):
    """ResNet-style encoder: one residual basic block per stage."""

    name: ClassVar[str] = "tiny_resnet"

    def _stage(self, in_channels: int, out_channels: int, *, stride: int) -> nn.Module:
        return _BasicBlock(in_channels, out_channels, stride=stride)


class Decoder(nn.Module):
    """Base of decoders: multi-scale features in, one stride-4 map out.

    Args:
        in_channels: Channels of the encoder features, finest first.
        width: Base channel count of the model.

    Attributes:
        out_channels: Channels of the output map.
    """

    name: ClassVar[str]

    def __init__(self, in_channels: Sequence[int], *, width: int) -> None:
        super().__init__()
        self.out_channels = width

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Fuse features, finest first, into one map at the finest stride."""
        raise NotImplementedError


class UNetDecoder(Decoder):
    """Top-down path that concatenates each skip feature and convolves.

    Each block keeps its skip's channel count, so the output has ``in_channels[0]``.

    Args:
        in_channels: Channels of the encoder features, finest first.
        width: Base channel count of the model.
    """

    name: ClassVar[str] = "unet"

    def __init__(self, in_channels: Sequence[int], *, width: int) -> None:
        super().__init__(in_channels, width=width)
        self.blocks = nn.ModuleList(
            _conv(deep + skip, skip)
            for deep, skip in zip(in_channels[:0:-1], in_channels[-2::-1], strict=True)
        )
        self.out_channels = in_channels[0]

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Fuse features, finest first, into one map at the finest stride."""
        x = features[-1]
        for block, skip in zip(self.blocks, features[-2::-1], strict=True):
            x = functional.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = block(torch.cat([x, skip], dim=1))
        return x


class FPNDecoder(Decoder):
    """Feature pyramid: lateral 1x1 convs, top-down addition, then all levels fused.

    Args:
        in_channels: Channels of the encoder features, finest first.
        width: Channels of every pyramid level and of the output.
    """

    name: ClassVar[str] = "fpn"

    def __init__(self, in_channels: Sequence[int], *, width: int) -> None:
        super().__init__(in_channels, width=width)
        self.laterals = nn.ModuleList(nn.Conv2d(c, width, 1) for c in in_channels)
        self.smooth = nn.ModuleList(_conv(width, width) for _ in in_channels)
        self.fuse = _conv(width * len(in_channels), width)

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Fuse features, finest first, into one map at the finest stride."""
        levels = [lateral(f) for lateral, f in zip(self.laterals, features, strict=True)]
        for i in range(len(levels) - 2, -1, -1):
            levels[i] = levels[i] + functional.interpolate(levels[i + 1], size=levels[i].shape[-2:])
        size = levels[0].shape[-2:]
        smoothed = [
            functional.interpolate(s(p), size=size)
            for s, p in zip(self.smooth, levels, strict=True)
        ]
        fused: Tensor = self.fuse(torch.cat(smoothed, dim=1))
        return fused


class Head(nn.Module):
    """Base of heads: a stride-4 map in, full-resolution prediction maps out.

    Args:
        in_channels: Channels of the decoder output.
        width: Hidden channels.
    """

    name: ClassVar[str]

    def __init__(self, in_channels: int, *, width: int) -> None:
        super().__init__()

    def forward(self, x: Tensor, *, size: tuple[int, int]) -> dict[str, Tensor]:
        """Predict maps of spatial ``size`` from decoder features."""
        raise NotImplementedError


class DBHead(Head):
    """Differentiable-binarization head: probability P, threshold T, binary B maps.

    B = 1 / (1 + exp(-k (P - T))) with k = 50, the paper's training-time
    approximation of thresholding; it is computed in eval mode too (it is cheap).
    Each branch convolves at strides 4 and 2 and resizes bilinearly to full
    resolution, instead of the paper's transposed convolutions: those leave
    checkerboard artifacts that break thin lines apart, and full-resolution
    convolutions would double the cost of a training step.

    Args:
        in_channels: Channels of the decoder output.
        width: Hidden channels of each branch.
    """

    name: ClassVar[str] = "db_head"

    def __init__(self, in_channels: int, *, width: int) -> None:
        super().__init__(in_channels, width=width)
        self.prob = self._branch(in_channels, width, prior=PROB_PRIOR)
        self.thresh = self._branch(in_channels, width, prior=THRESH_PRIOR)

    @staticmethod
    def _branch(in_channels: int, width: int, *, prior: float) -> nn.Sequential:
        out = nn.Conv2d(width, 1, 3, padding=1)
        # Start from the maps' typical background value instead of 0.5: the untrained
        # model then predicts no text, and training does not first have to unlearn
        # a page full of false positives.
        nn.init.constant_(cast("Tensor", out.bias), math.log(prior / (1.0 - prior)))
        return nn.Sequential(
            _conv(in_channels, width),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            _conv(width, width),
            out,
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        )

    def forward(self, x: Tensor, *, size: tuple[int, int]) -> dict[str, Tensor]:
        """Predict ``prob``, ``thresh`` and ``binary`` maps (Bx1xHxW) of spatial ``size``."""
        logits = torch.cat([self.prob(x), self.thresh(x)], dim=1)
        if logits.shape[-2:] != size:
            logits = functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        maps = torch.sigmoid(logits)
        prob, thresh = maps[:, :1], maps[:, 1:]
        return {
            "prob": prob,
            "thresh": thresh,
            "binary": torch.sigmoid(BINARIZE_K * (prob - thresh)),
        }


ENCODERS: Final[Mapping[str, type[Encoder]]] = MappingProxyType(
    {cls.name: cls for cls in (TinyCNNEncoder, TinyResNetEncoder)}
)
DECODERS: Final[Mapping[str, type[Decoder]]] = MappingProxyType(
    {cls.name: cls for cls in (UNetDecoder, FPNDecoder)}
)
HEADS: Final[Mapping[str, type[Head]]] = MappingProxyType({DBHead.name: DBHead})
