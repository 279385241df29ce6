"""A model's identity (architecture, encoder, decoder, head, size), read from the live module.

Nothing here guesses from names: each field comes from the module object
itself (a ``name``/``model_name``/``architecture`` attribute it declares, or
else its class), and a part the model does not have stays ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

from ocr.metadata import UNKNOWN_NAMES, ModelInfo

if TYPE_CHECKING:
    from torch import nn

__all__ = ["describe_model"]

_COMPONENTS: Final = ("encoder", "decoder", "head")
_NAME_ATTRIBUTES: Final = ("name", "model_name")
_ARCHITECTURE_ATTRIBUTES: Final = ("architecture", "architecture_name")


def describe_model(module: nn.Module) -> ModelInfo:
    """Describe a model from the module that holds it.

    A LightningModule usually wraps the network in ``.model``; the network's
    ``encoder``, ``decoder`` and ``head`` submodules name themselves through a
    ``name`` (or ``model_name``) string attribute, and otherwise by class.

    Args:
        module: The LightningModule or the network itself.

    Returns:
        The identity; parts the model lacks are ``None``.
    """
    network = _network_of(module)
    parts = {part: _component_name(network, part) for part in _COMPONENTS}
    return ModelInfo(
        architecture=_declared_name(network, _ARCHITECTURE_ATTRIBUTES) or type(network).__name__,
        encoder=parts["encoder"],
        decoder=parts["decoder"],
        head=parts["head"],
        parameter_count=sum(parameter.numel() for parameter in network.parameters()),
    )


def _network_of(module: nn.Module) -> nn.Module:
    inner = getattr(module, "model", None)
    # torch.compile wraps the network; its identity is the original module's.
    inner = getattr(inner, "_orig_mod", inner)
    return cast("nn.Module", inner) if _is_module(inner) else module


def _component_name(network: nn.Module, part: str) -> str | None:
    component = getattr(network, part, None)
    if not _is_module(component):
        return None
    return _declared_name(component, _NAME_ATTRIBUTES) or type(component).__name__


def _declared_name(obj: object, attributes: tuple[str, ...]) -> str | None:
    for attribute in attributes:
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value.strip().lower() not in UNKNOWN_NAMES:
            return value
    return None


def _is_module(obj: object) -> bool:
    return callable(getattr(obj, "parameters", None)) and callable(getattr(obj, "forward", None))
