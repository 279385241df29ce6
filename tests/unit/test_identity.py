from __future__ import annotations

import itertools

import pytest
from torch import nn

from ocr.identity import describe_model
from ocr.metadata import ModelInfo
from ocr.train.components import DECODERS, ENCODERS
from ocr.train.module import DetectorModule

PAIRS = [
    pytest.param(encoder, decoder, id=f"{encoder}-{decoder}")
    for encoder, decoder in itertools.product(ENCODERS, DECODERS)
]


@pytest.mark.parametrize(("encoder", "decoder"), PAIRS)
def test_identity_is_read_from_the_module_when_built_from_config(
    encoder: str, decoder: str
) -> None:
    module = DetectorModule(encoder=encoder, decoder=decoder, width=4)
    info = describe_model(module)
    assert info == ModelInfo(
        architecture="dbnet",
        encoder=module.model.encoder.name,
        decoder=module.model.decoder.name,
        head=module.model.head.name,
        parameter_count=sum(p.numel() for p in module.model.parameters()),
    )
    assert (info.encoder, info.decoder, info.head) == (encoder, decoder, "db_head")


class _Encoder(nn.Module):
    model_name = "unknown"  # a legacy placeholder is not a name

    def forward(self, x: object) -> object:
        return x


class _Network(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = _Encoder()
        self.head = nn.Linear(2, 1)


def test_identity_falls_back_to_classes_and_none_when_names_are_not_declared() -> None:
    info = describe_model(_Network())
    assert info == ModelInfo(
        architecture="_Network", encoder="_Encoder", decoder=None, head="Linear", parameter_count=3
    )
