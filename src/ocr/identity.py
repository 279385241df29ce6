"""A model's identity (architecture, encoder, decoder, head, size), read from the live module.

Each field comes, in this order, from what the project declares, from the
module object, or stays ``None``; nothing is guessed from file or run names:

1. Declared: ``UniqueModelCheckpoint(identity={...})`` (``- ocr`` passes the
   ``ocr.model`` config keys through it).
2. On the LightningModule: string attributes ``architecture``, ``encoder``,
   ``decoder``, ``head`` (e.g. set from the module's own hyperparameters).
3. On the network: the LightningModule's network is its ``model``, ``net`` or
   ``network`` attribute (the first that is a module; else its only child
   module; else the LightningModule itself). The architecture is the network's
   ``architecture``/``architecture_name`` string, else its class; each part is
   the network's ``encoder``/``decoder``/``head`` submodule, named by its
   ``name``/``model_name`` string, else by its class.

>>> from torch import nn
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.encoder = nn.Linear(2, 2)
>>> class Module(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.net = Net()
>>> info = describe_model(Module())
>>> info.architecture, info.encoder, info.decoder
('Net', 'Linear', None)
>>> describe_model(Module(), declared={"architecture": "dbnet", "decoder": "unet"}).decoder
'unet'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

from ocr.errors import CallbackConfigError
from ocr.metadata import UNKNOWN_NAMES, ModelInfo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from torch import nn

__all__ = ["IDENTITY_FIELDS", "NETWORK_ATTRIBUTES", "check_declared_identity", "describe_model"]

IDENTITY_FIELDS: Final = ("architecture", "encoder", "decoder", "head")
"""The fields a project may declare."""
NETWORK_ATTRIBUTES: Final = ("model", "net", "network")
"""Where a LightningModule usually keeps its network, in the order they are tried."""
_COMPONENTS: Final = ("encoder", "decoder", "head")
_NAME_ATTRIBUTES: Final = ("name", "model_name")
_ARCHITECTURE_ATTRIBUTES: Final = ("architecture", "architecture_name")


def describe_model(
    module: nn.Module, *, declared: Mapping[str, str | None] | None = None
) -> ModelInfo:
    """Describe a model from the module that holds it.

    Args:
        module: The LightningModule or the network itself.
        declared: Fields the project declares (``architecture``, ``encoder``,
            ``decoder``, ``head``); a ``None`` value is not a declaration.

    Returns:
        The identity; parts neither declared nor present are ``None``.
    """
    network = _network_of(module)
    found = {
        "architecture": _declared_name(network, _ARCHITECTURE_ATTRIBUTES) or type(network).__name__,
        **{part: _component_name(network, part) for part in _COMPONENTS},
    }
    on_module = {field: _declared_name(module, (field,)) for field in IDENTITY_FIELDS}
    given = {field: value for field, value in (declared or {}).items() if value is not None}
    fields = {field: given.get(field) or on_module[field] or found[field] for field in found}
    return ModelInfo(
        **fields, parameter_count=sum(parameter.numel() for parameter in network.parameters())
    )


def check_declared_identity(declared: Mapping[str, object] | None) -> dict[str, str | None]:
    """Check an identity a project declares, before training starts.

    Args:
        declared: Field -> name, or ``None``.

    Returns:
        The declaration as a plain dict (``None`` values kept).

    Raises:
        CallbackConfigError: A key is not an identity field, or a value is no string.
    """
    plain = dict(declared or {})
    unknown = sorted(set(plain) - set(IDENTITY_FIELDS))
    if unknown:
        raise CallbackConfigError(
            f"unknown model identity field(s) {', '.join(map(repr, unknown))}",
            fix=f"Declare only {', '.join(IDENTITY_FIELDS)}",
            value=unknown,
        )
    wrong = {k: v for k, v in plain.items() if v is not None and not isinstance(v, str)}
    if wrong:
        raise CallbackConfigError(
            f"model identity values must be names (strings), got {wrong!r}",
            fix="Quote the names, e.g. encoder: 'resnet18'",
            value=wrong,
        )
    return cast("dict[str, str | None]", plain)


def _network_of(module: nn.Module) -> nn.Module:
    for attribute in NETWORK_ATTRIBUTES:
        inner = getattr(module, attribute, None)
        # torch.compile wraps the network; its identity is the original module's.
        inner = getattr(inner, "_orig_mod", inner)
        if _is_module(inner):
            return cast("nn.Module", inner)
    children = list(module.children()) if callable(getattr(module, "children", None)) else []
    return children[0] if len(children) == 1 and _is_module(children[0]) else module


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
