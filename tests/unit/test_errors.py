from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import ocr.errors
from ocr.errors import OcrError

ERROR_CLASSES = [
    getattr(ocr.errors, name)
    for name in ocr.errors.__all__
    if isinstance(getattr(ocr.errors, name), type)
]


@pytest.mark.parametrize("cls", [pytest.param(cls, id=cls.__name__) for cls in ERROR_CLASSES])
def test_error_keeps_message_and_attributes_when_pickled(cls: type[OcrError]) -> None:
    error = cls("the cause 'x'", fix="Do the fix", path=Path("/a b"), value={"k": 1})
    error.__dict__["extra"] = "kept"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)
    assert type(copy) is cls
    assert str(copy) == "the cause 'x'. Do the fix"
    assert (copy.cause, copy.fix, copy.path, copy.value) == (
        "the cause 'x'",
        "Do the fix",
        Path("/a b"),
        {"k": 1},
    )
    assert copy.__dict__["extra"] == "kept"


@pytest.mark.parametrize(
    "cls", [pytest.param(cls, id=cls.__name__) for cls in ERROR_CLASSES if cls is not OcrError]
)
def test_error_is_also_a_builtin_when_raised(cls: type[OcrError]) -> None:
    builtin_bases = [b for b in cls.__mro__ if b.__module__ == "builtins" and b is not object]
    assert builtin_bases[0] is not Exception, f"{cls.__name__} needs a matching builtin base"
    with pytest.raises(builtin_bases[0]):
        raise cls("cause", fix="Fix it")
