"""The tiny DBNet: registries, every encoder x decoder combination, name checking."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from ocr.errors import UnknownComponentError
from ocr.train.components import DECODERS, ENCODERS, HEADS
from ocr.train.model import DBNet, build_model, check_components

__all__: list[str] = []

COMBINATIONS = [
    pytest.param(encoder, decoder, id=f"{encoder}-{decoder}")
    for encoder in ENCODERS
    for decoder in DECODERS
]


def test_registries_offer_two_encoders_two_decoders_and_db_head_when_imported() -> None:
    assert set(ENCODERS) == {"tiny_cnn", "tiny_resnet"}
    assert set(DECODERS) == {"unet", "fpn"}
    assert set(HEADS) == {"db_head"}
    with pytest.raises(TypeError):
        ENCODERS["other"] = ENCODERS["tiny_cnn"]  # type: ignore[index]


@pytest.mark.parametrize(("encoder", "decoder"), COMBINATIONS)
def test_build_model_predicts_full_size_maps_when_any_encoder_and_decoder(
    encoder: str, decoder: str
) -> None:
    model = build_model(encoder=encoder, decoder=decoder, width=4).eval()

    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))

    assert isinstance(model, DBNet)
    assert (model.architecture, model.encoder.name, model.decoder.name, model.head.name) == (
        "dbnet",
        encoder,
        decoder,
        "db_head",
    )
    assert set(out) == {"prob", "thresh", "binary"}
    for value in out.values():
        assert value.shape == (2, 1, 32, 32)
        assert 0.0 <= value.min() <= value.max() <= 1.0


@pytest.mark.parametrize("encoder", [pytest.param(name, id=name) for name in ENCODERS])
def test_encoder_returns_four_scales_when_given_an_image(encoder: str) -> None:
    features = ENCODERS[encoder](width=4)(torch.randn(1, 3, 64, 64))

    assert [tuple(f.shape[1:]) for f in features] == [
        (4, 16, 16),
        (8, 8, 8),
        (16, 4, 4),
        (32, 2, 2),
    ]


@pytest.mark.parametrize("decoder", [pytest.param(name, id=name) for name in DECODERS])
def test_model_keeps_input_size_when_sides_are_not_multiples_of_32(decoder: str) -> None:
    model = build_model(encoder="tiny_resnet", decoder=decoder, width=4).eval()

    with torch.no_grad():
        out = model(torch.randn(1, 3, 30, 22))

    assert out["prob"].shape == (1, 1, 30, 22)


def test_binary_map_is_steep_sigmoid_of_prob_minus_thresh_when_training() -> None:
    out = build_model(encoder="tiny_cnn", decoder="unet", width=4).train()(
        torch.randn(2, 3, 32, 32)
    )

    expected = torch.sigmoid(50.0 * (out["prob"] - out["thresh"]))
    assert torch.allclose(out["binary"], expected)


def test_untrained_model_predicts_background_when_initialised() -> None:
    torch.manual_seed(0)
    model = build_model(encoder="tiny_resnet", decoder="unet").eval()

    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 48))

    assert out["prob"].mean() < 0.15
    assert 0.2 < out["thresh"].mean() < 0.4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"architecture": "yolo"},
            "unknown architecture 'yolo'. Use one of: dbnet",
            id="architecture",
        ),
        pytest.param(
            {"encoder": "vit"},
            "unknown encoder 'vit'. Use one of: tiny_cnn, tiny_resnet",
            id="encoder",
        ),
        pytest.param(
            {"decoder": "aspp"}, "unknown decoder 'aspp'. Use one of: fpn, unet", id="decoder"
        ),
        pytest.param({"head": "ctc"}, "unknown head 'ctc'. Use one of: db_head", id="head"),
    ],
)
def test_build_and_check_list_valid_names_when_name_is_unknown(
    kwargs: dict[str, str], message: str
) -> None:
    names: dict[str, Any] = {"encoder": "tiny_cnn", "decoder": "unet"} | kwargs

    with pytest.raises(UnknownComponentError) as raised:
        build_model(**names)
    with pytest.raises(UnknownComponentError) as checked:
        check_components(**names)

    assert str(raised.value) == str(checked.value) == message
    assert isinstance(raised.value, ValueError)


def test_build_model_refuses_width_when_not_positive() -> None:
    with pytest.raises(ValueError, match=r"^width must be a positive channel count, got 0$"):
        build_model(encoder="tiny_cnn", decoder="unet", width=0)
