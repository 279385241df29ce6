from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from ocr._validation import describe_problems


class _Inner(BaseModel):
    count: int


class _Outer(BaseModel):
    inner: _Inner
    name: str


def test_every_problem_is_listed_with_its_dotted_field_when_validation_fails() -> None:
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"inner": {"count": "many"}})
    assert describe_problems(info.value) == (
        "field 'inner.count' input should be a valid integer, unable to parse string as an "
        "integer; field 'name' field required"
    )
