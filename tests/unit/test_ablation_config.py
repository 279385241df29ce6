"""Flattening saved configs, the keys overrides set, and config values as text."""

from __future__ import annotations

import pytest

from ocr.ablation._config import (
    ConfigValue,
    config_key_of_override,
    flatten_config,
    format_value,
    override_keys,
    value_kind,
)

__all__: list[str] = []


def test_flatten_config_gives_dotted_leaves_when_nested() -> None:
    config = {
        "model": {"encoder": "tiny_cnn", "head": {"k": 50, "prior": None}},
        "trainer": {"devices": [0, 1], "callbacks": {}},
        "a.b": {"c": True},
        "seed": 3,
    }

    assert flatten_config(config) == {
        "model.encoder": "tiny_cnn",
        "model.head.k": 50,
        "model.head.prior": None,
        "trainer.devices": (0, 1),
        "trainer.callbacks": (),
        "a.b.c": True,
        "seed": 3,
    }


def test_flatten_config_keeps_lists_of_mappings_hashable_when_listed() -> None:
    flat = flatten_config({"augment": [{"name": "blur", "p": 0.5}, "flip"]})

    assert flat == {"augment": ((("name", "blur"), ("p", 0.5)), "flip")}
    assert hash(flat["augment"]) is not None


@pytest.mark.parametrize(
    ("override", "key"),
    [
        pytest.param("model.encoder=tiny_cnn", "model.encoder", id="key"),
        pytest.param("+trainer.x=1", "trainer.x", id="append"),
        pytest.param("++trainer.x=1", "trainer.x", id="force"),
        pytest.param("model=dbnet_fpn", "model", id="group"),
        pytest.param("model/encoder=big", "model.encoder", id="nested-group"),
        pytest.param("db@model.decoder=fpn", "model.decoder", id="package"),
        pytest.param("~model.width", None, id="delete"),
        pytest.param("~model.width=8", None, id="delete-value"),
        pytest.param("hydra/launcher=joblib", None, id="hydra-group"),
        pytest.param("hydra.job.chdir=true", None, id="hydra-key"),
        pytest.param("not an override", None, id="no-equals"),
        pytest.param("=1", None, id="no-key"),
        pytest.param(" lr = 0.1", "lr", id="spaces"),
    ],
)
def test_config_key_of_override_names_the_key_when_parsed(override: str, key: str | None) -> None:
    assert config_key_of_override(override) == key


def test_override_keys_lists_each_key_once_in_order_when_repeated() -> None:
    overrides = ["seed=1", "hydra/launcher=joblib", "model.width=4", "seed=2", "~x"]

    assert override_keys(overrides) == ["seed", "model.width"]


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        pytest.param(8, "number", "8", id="int"),
        pytest.param(0.001, "number", "0.001", id="float"),
        pytest.param(True, "boolean", "true", id="true"),
        pytest.param(False, "boolean", "false", id="false"),
        pytest.param("tiny_cnn", "string", "tiny_cnn", id="string"),
        pytest.param((1, "a", None), "list", "[1, a, null]", id="list"),
        pytest.param(None, None, "null", id="null"),
    ],
)
def test_value_kind_and_text_name_the_value_when_given(
    value: ConfigValue, kind: str | None, text: str
) -> None:
    assert value_kind(value) == kind
    assert format_value(value) == text
