"""Can this checkpoint's model be built here? Decided before anything is loaded.

The answer comes from the run's saved config alone (``.hydra/config.yaml``, the
one the catalog reads for ``config.*`` keys); no checkpoint is opened. A model
is buildable when its config's ``model`` node names, in ``_target_``, a torch
module class that imports here and takes the node's arguments, every nested
``_target_`` imports too, and, for the reference trainer's
:class:`~ocr.train.module.DetectorModule`, the encoder, decoder and head are
parts it knows by name. Otherwise the verdict says why in one line and what to
install or pass, instead of failing when the weights are loaded.

A run config is a file in the tree, and ``hydra.utils.instantiate`` calls what
it names: only classes that subclass ``torch.nn.Module`` are accepted (nested
ones may also be ``_partial_``), so a config cannot make the app call, say,
``os.system``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ocr.errors import UnknownComponentError

__all__ = ["REFERENCE_MODULE", "Buildability", "check_buildable", "locate"]

REFERENCE_MODULE: Final = "ocr.train.module.DetectorModule"
_COMPONENT_KEYS: Final = ("architecture", "encoder", "decoder", "head")


@dataclass(frozen=True)
class Buildability:
    """The verdict: can the model be built here, and if not, why and what to do.

    Args:
        buildable: Whether :func:`ocr.ui.detector.build_detector` can build it.
        reason: One line: what builds it, or why nothing can.
        fix: What to install or pass, when it cannot be built.
        target: The model class named by the config, when there is one.
        model_config: The resolved ``model`` node (plain values), when buildable.
    """

    buildable: bool
    reason: str
    fix: str | None = None
    target: str | None = None
    model_config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The reason and the fix as the one line the app shows."""
        return self.reason if self.fix is None else f"{self.reason}. {self.fix}"


def check_buildable(
    config: Mapping[str, Any] | None, *, config_file: str | None = None
) -> Buildability:
    """Decide from a run's saved config whether its model can be built here.

    Args:
        config: The run's saved config (as the catalog's config lookup gives it),
            ``None`` when the run has none.
        config_file: Where the config is, for the messages.

    Returns:
        The verdict.
    """
    where = f" ({config_file})" if config_file else ""
    if config is None:
        return Buildability(
            False,
            "its run has no saved config (.hydra/config.yaml), so nothing says how to build the model",
            fix="Inference needs the run's config and its model code; restore the config beside the run",
        )
    node = config.get("model")
    if not isinstance(node, Mapping):
        return Buildability(False, f"its run config{where} has no `model` node", fix=_ADD_TARGET)
    try:
        resolved = _resolve(config)
    except OmegaConfBaseException as exc:
        why = str(exc).splitlines()[0]
        return Buildability(
            False,
            f"its run config's model node{where} cannot be resolved ({why})",
            fix="Write plain values in the model node; the app knows no custom resolvers",
        )
    problem = _missing_code(resolved)
    if problem is not None:
        return problem
    return _check_target(resolved, where)


_ADD_TARGET: Final = (
    "Name the model class in the config's model._target_ (hydra.utils.instantiate builds it)"
)


def _resolve(config: Mapping[str, Any]) -> dict[str, Any]:
    # Interpolations may point anywhere in the config; resolvers the app does
    # not know (ocr's own launch resolvers allocate folders) fail instead of running.
    container = OmegaConf.create(dict(config))
    model = OmegaConf.to_container(container.model, resolve=True)
    return {str(key): value for key, value in model.items()} if isinstance(model, dict) else {}


def _targets(node: object, path: str = "model") -> list[tuple[str, str, bool]]:
    """Every ``_target_`` in a node: (key path, dotted name, partial), outermost first."""
    found: list[tuple[str, str, bool]] = []
    if isinstance(node, Mapping):
        target = node.get("_target_")
        if isinstance(target, str):
            found.append((path, target, node.get("_partial_") is True))
        for key, value in node.items():
            found.extend(_targets(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_targets(value, f"{path}.{index}"))
    return found


def _missing_code(model: Mapping[str, Any]) -> Buildability | None:
    from torch import nn  # noqa: PLC0415 (the picker never needs torch)

    for key, target, partial in _targets(model):
        try:
            located = locate(target)
        except ImportError as exc:
            module = target.rpartition(".")[0] or target
            return Buildability(
                False,
                f"its model code is not installed here: {key}._target_ {target!r} ({exc})",
                fix=f"Install the package that provides {module!r} (the trainer that made the "
                "checkpoint) in this environment and restart `ocr ui`; inference needs its model code",
                target=target,
            )
        is_module = inspect.isclass(located) and issubclass(located, nn.Module)
        if not is_module and not (partial and key != "model" and callable(located)):
            return Buildability(
                False,
                f"{key}._target_ {target!r} is not a torch module class; the app builds only "
                "torch modules from a run config",
                fix="Build this model in your own code",
                target=target,
            )
    return None


def _check_target(model: Mapping[str, Any], where: str) -> Buildability:
    target = model.get("_target_")
    if not isinstance(target, str):
        return Buildability(
            False, f"its run config's model node{where} names no `_target_`", fix=_ADD_TARGET
        )
    located = locate(target)
    if not callable(located):  # _missing_code accepted only classes; this tells mypy so
        return Buildability(False, f"{target!r} cannot be called", fix=_ADD_TARGET, target=target)
    arguments = {key: value for key, value in model.items() if not key.startswith("_")}
    try:
        inspect.signature(located).bind(*model.get("_args_", ()), **arguments)
    except TypeError as exc:
        return Buildability(
            False,
            f"{target} does not take the arguments of its run config's model node{where}: {exc}",
            fix="Fix the model node of the run config, or install the version of the code it was made with",
            target=target,
        )
    if target == REFERENCE_MODULE:
        from ocr.train.model import check_components  # noqa: PLC0415 (torch, on demand)

        names = {
            key: arguments[key] for key in _COMPONENT_KEYS if isinstance(arguments.get(key), str)
        }
        try:
            check_components(**names)
        except UnknownComponentError as exc:
            return Buildability(
                False,
                f"the reference trainer has no such part: {exc.cause}",
                fix=exc.fix,
                target=target,
            )
    return Buildability(
        True, f"built by {target} from its run's config", target=target, model_config=dict(model)
    )


def locate(dotted: str) -> object:
    """Import the object a dotted name (``package.module.Class``) names.

    Args:
        dotted: The name, as a config's ``_target_`` holds it.

    Returns:
        The object.

    Raises:
        ImportError: Nothing by that name can be imported here; the message names
            the missing module (or the failing import inside an existing one).

    >>> locate("collections.OrderedDict").__name__
    'OrderedDict'
    """
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        raise ImportError(f"{dotted!r} is not a dotted Python name")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            found: object = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(f"{exc.name}.")):
                raise ImportError(f"importing {name!r} failed: {exc}") from exc
            continue  # this module does not exist: try its parent
        for part in parts[cut:]:
            if not hasattr(found, part):
                # In a package, the missing part would have been a module.
                kind = "no module named" if hasattr(found, "__path__") else "no attribute"
                raise ImportError(f"{kind} {name + '.' + part!r}")
            found, name = getattr(found, part), f"{name}.{part}"
        return found
    raise ImportError(f"no module named {parts[0]!r}")
