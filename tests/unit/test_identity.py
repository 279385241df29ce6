from __future__ import annotations

import itertools

import pytest
from torch import nn

from ocr.errors import CallbackConfigError
from ocr.identity import check_declared_identity, describe_model
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


class _DenseNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Linear(2, 2))

    def forward(self, x: object) -> object:
        return x


class _TemplateModule(nn.Module):
    """A LightningModule shaped like the lightning-hydra-template's: its network in ``self.net``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _DenseNet()
        self.criterion = nn.CrossEntropyLoss()


def test_the_network_is_found_in_net_when_the_module_keeps_it_there() -> None:
    info = describe_model(_TemplateModule())
    assert info == ModelInfo(
        architecture="_DenseNet", encoder=None, decoder=None, head=None, parameter_count=6
    )


def test_the_only_child_is_the_network_when_no_attribute_names_it() -> None:
    holder = nn.Module()
    holder.backbone_and_head = _Network()
    assert describe_model(holder).architecture == "_Network"


def test_declared_identity_wins_over_the_module_when_given() -> None:
    module = _TemplateModule()
    module.encoder = "resnet18"  # type: ignore[assignment]
    module.architecture = "dense"  # type: ignore[assignment]
    info = describe_model(module, declared={"architecture": "classifier", "head": None})
    assert (info.architecture, info.encoder, info.head) == ("classifier", "resnet18", None)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        pytest.param(
            {"backbone": "r18"},
            "unknown model identity field(s) 'backbone'. Declare only architecture, encoder, "
            "decoder, head",
            id="unknown-field",
        ),
        pytest.param(
            {"encoder": 18},
            "model identity values must be names (strings), got {'encoder': 18}. Quote the "
            "names, e.g. encoder: 'resnet18'",
            id="not-a-name",
        ),
    ],
)
def test_a_declared_identity_is_refused_when_it_is_not_names(
    declared: dict[str, object], message: str
) -> None:
    with pytest.raises(CallbackConfigError) as info:
        check_declared_identity(declared)
    assert str(info.value) == message


def test_a_declared_identity_passes_through_when_valid() -> None:
    assert check_declared_identity({"encoder": "r18", "head": None}) == {
        "encoder": "r18",
        "head": None,
    }
    assert check_declared_identity(None) == {}
