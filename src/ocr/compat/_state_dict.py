"""Model identity from the key names and shapes of a legacy state dict.

The slow, opt-in path of the catalog loads a checkpoint with
``torch.load(weights_only=True)`` and hands over ``{key: shape}``; this module
only reads that mapping, so it never touches a file. Keys start with
``model.`` (``model._orig_mod.`` for compiled models); the rules are those of
docs/legacy-formats.md, "What is inside a legacy checkpoint".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ocr.compat._recovered import Recovered, Source, known_model

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["model_from_state_dict_keys"]

_PREFIXES: Final = ("model._orig_mod.", "model.")
# Most specific first: a PAN or FPN decoder may also hold lateral ``inners``, and
# the legacy DBNet++ decoder (``lateral_convs``, ``top_down``, ``bottom_up``,
# ``output_conv``) holds the ``bottom_up`` that alone means PAN (whose own
# top-down convolutions are ``top_down_smooth``).
_DECODER_MARKS: Final = (
    ("decoder.lateral_convs.", "dbnetpp_decoder"),
    ("decoder.top_down.", "dbnetpp_decoder"),
    ("decoder.bottom_up.", "pan_decoder"),
    ("decoder.fusion.", "fpn_decoder"),
    ("decoder.outers.", "unet"),
    ("decoder.inners.", "unet"),
)
_HEAD_MARKS: Final = (("head.binarize.", "db_head"),)
_STEM_WIDTHS: Final = {16: "mobilenetv3_small_050", 24: "mobilenetv3_small_075"}
_OTHER_STEM: Final = "mobilenetv3_large_100"
# timm's EfficientNets also have a ``conv_stem`` (32 wide for b0, 40 for b3), which
# the width rule alone would call ``mobilenetv3_large_100``; their blocks per
# stage tell them apart (the last stage may be cut off by ``features_only``).
_TIMM_BLOCK: Final = re.compile(r"encoder\.(?:.*\.)?blocks\.(?P<stage>\d+)\.(?P<block>\d+)\..*")
_EFFICIENTNETS: Final[dict[tuple[int, ...], str]] = {
    (1, 2, 2, 3, 3, 4): "efficientnet_b0",
    (2, 3, 3, 5, 5, 6): "efficientnet_b3",
}
_RESNET_BLOCK: Final = re.compile(
    r"encoder\.(?:.*\.)?layer(?P<layer>[1-4])\.(?P<block>\d+)\.conv(?P<conv>\d)\.weight"
)
# Blocks per stage, for basic (two-conv) and bottleneck (three-conv) residual blocks.
_RESNETS: Final[dict[tuple[bool, tuple[int, ...]], str]] = {
    (False, (2, 2, 2, 2)): "resnet18",
    (False, (3, 4, 6, 3)): "resnet34",
    (True, (3, 4, 6, 3)): "resnet50",
    (True, (3, 4, 23, 3)): "resnet101",
    (True, (3, 8, 36, 3)): "resnet152",
}


def model_from_state_dict_keys(shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Recovered[str]]:
    """Recover encoder, decoder and head from a state dict's keys and shapes.

    Args:
        shapes: Each state-dict key with its tensor shape.

    Returns:
        The parts the keys decide, each from :attr:`Source.STATE_DICT`: the
        decoder (``lateral_convs``/``top_down`` = ``dbnetpp_decoder``, else
        ``bottom_up`` = ``pan_decoder``, ``fusion`` = ``fpn_decoder``,
        ``outers``/``inners`` = ``unet``), the encoder (``conv_stem`` width 16/24/other
        = ``mobilenetv3_small_050``/``_small_075``/``_large_100``, unless its
        blocks per stage are EfficientNet-B0's or -B3's; ``layer1.0.conv1``
        = ``resnet``, or ``resnet18``/``34``/``50``/... when the block counts
        decide it) and the head (``binarize`` = ``db_head``).

    >>> shapes = {"model.decoder.bottom_up.0.weight": (64, 64, 3, 3)}
    >>> model_from_state_dict_keys(shapes)["decoder"].value
    'pan_decoder'
    """
    keys = {_strip_prefix(key): shape for key, shape in shapes.items()}
    names = {
        "encoder": _encoder(keys),
        "decoder": _marked(keys, _DECODER_MARKS),
        "head": _marked(keys, _HEAD_MARKS),
    }
    return known_model(names, Source.STATE_DICT)


def _strip_prefix(key: str) -> str:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def _marked(keys: Mapping[str, tuple[int, ...]], marks: tuple[tuple[str, str], ...]) -> str | None:
    for mark, name in marks:
        if any(key.startswith(mark) for key in keys):
            return name
    return None


def _encoder(keys: Mapping[str, tuple[int, ...]]) -> str | None:
    encoder_keys = {key: shape for key, shape in keys.items() if key.startswith("encoder.")}
    for key, shape in encoder_keys.items():
        if key.endswith("conv_stem.weight") and shape:
            efficientnet = _EFFICIENTNETS.get(_timm_stage_depths(encoder_keys)[:6])
            return efficientnet or _STEM_WIDTHS.get(shape[0], _OTHER_STEM)
    blocks = [match for key in encoder_keys if (match := _RESNET_BLOCK.fullmatch(key))]
    if not any(m["layer"] == "1" and m["block"] == "0" and m["conv"] == "1" for m in blocks):
        return None
    is_bottleneck = any(m["conv"] == "3" for m in blocks)
    counts = tuple(
        len({m["block"] for m in blocks if m["layer"] == str(layer)}) for layer in range(1, 5)
    )
    return _RESNETS.get((is_bottleneck, counts), "resnet")


def _timm_stage_depths(encoder_keys: Mapping[str, tuple[int, ...]]) -> tuple[int, ...]:
    """Blocks per stage of a timm ``blocks.<stage>.<block>`` encoder (empty for others)."""
    blocks: dict[int, set[int]] = {}
    for key in encoder_keys:
        if match := _TIMM_BLOCK.fullmatch(key):
            blocks.setdefault(int(match["stage"]), set()).add(int(match["block"]))
    if not blocks or sorted(blocks) != list(range(len(blocks))):
        return ()
    return tuple(len(blocks[stage]) for stage in range(len(blocks)))
