"""The file-format reference page: field tables generated from the Pydantic models.

Each file ocr writes beside a run (the checkpoint sidecar, ``run.json``,
``sweep.json``) is a Pydantic model; its JSON schema gives every field's
JSON type, whether it is required, its rules and its description, so the
tables cannot drift from the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ocr.metadata import SCHEMA_VERSION, CheckpointMetadata
from ocr.registry import RECORD_SCHEMA_VERSION, ExperimentRecord, SweepRecord

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pydantic import BaseModel

__all__ = ["SCHEMA_PAGE", "render_schema_reference"]

SCHEMA_PAGE: Final = "docs/reference/file-formats.md"
_Schema = dict[str, Any]
_FILES: Final[tuple[tuple[str, str, type[BaseModel], int], ...]] = (
    (
        "Checkpoint sidecar",
        "`<checkpoint>.ckpt.meta.json`, beside every checkpoint (`ocr.metadata.CheckpointMetadata`)",
        CheckpointMetadata,
        SCHEMA_VERSION,
    ),
    (
        "Experiment record",
        "`run.json`, in every run folder and sweep-job folder (`ocr.registry.ExperimentRecord`)",
        ExperimentRecord,
        RECORD_SCHEMA_VERSION,
    ),
    (
        "Sweep record",
        "`sweep.json`, in every sweep folder (`ocr.registry.SweepRecord`)",
        SweepRecord,
        RECORD_SCHEMA_VERSION,
    ),
)
_HEADER: Final = """\
# File formats

<!-- Generated from the Pydantic models by `python -m docgen write`; do not edit. -->

The JSON files ocr writes beside your runs, field by field, generated from the
models that read and write them. Every file is strict JSON (a NaN metric is the
string `"NaN"`, an infinity `"Infinity"` or `"-Infinity"`), has a
`schema_version`, and refuses fields it does not know. Times carry their UTC
offset. How versions change and how old files are read is in
[Folder structure](../folder-structure.md#schema-versions). A dotted field is
inside the object above it; "map" is a JSON object with free keys.
"""


def render_schema_reference() -> str:
    """The whole page: one table per file format.

    Returns:
        The page's Markdown.
    """
    sections = [_HEADER]
    for title, where, model, version in _FILES:
        schema = model.model_json_schema()
        rows = "".join(
            f"| `{name}` | {kind} | {'yes' if required else 'no'} | {meaning} |\n"
            for name, kind, required, meaning in _rows(schema, schema.get("$defs", {}), "")
        )
        sections.append(
            f"## {title}\n\n{where}. Schema version **{version}**. {_text(schema)}\n\n"
            f"| field | type | required | meaning |\n|---|---|---|---|\n{rows}"
        )
    return "\n".join(sections)


def _rows(schema: _Schema, defs: _Schema, prefix: str) -> Iterator[tuple[str, str, bool, str]]:
    required = set(schema.get("required", ()))
    for name, field in schema["properties"].items():
        target = _referenced(field, defs)
        nested = target is not None and "properties" in target
        meaning = _text(field) or (_text(target) if target is not None else "")
        rules = _rules(field if target is None or nested else target)
        yield (
            prefix + name,
            "object" if nested else _type(field, defs),
            name in required or name == "schema_version",  # readers refuse a file without it
            _cell(" ".join(part for part in (meaning, rules) if part)),
        )
        if nested and target is not None:
            yield from _rows(target, defs, f"{prefix}{name}.")


def _referenced(field: _Schema, defs: _Schema) -> _Schema | None:
    reference = field.get("$ref")
    if reference is None:
        return None
    resolved: _Schema = defs[reference.rsplit("/", 1)[-1]]
    return resolved


def _type(field: _Schema, defs: _Schema) -> str:
    if "anyOf" in field:
        return " or ".join(_type(option, defs) for option in field["anyOf"])
    target = _referenced(field, defs)
    return _plain_type(field, defs) if target is None else _type(target, defs)


def _plain_type(field: _Schema, defs: _Schema) -> str:
    if "const" in field:
        return f"`{field['const']}`"
    if "enum" in field:
        return " \\| ".join(f"`{value}`" for value in field["enum"])
    kind = field.get("type", "any")
    if kind == "array":
        return f"list of {_type(field.get('items', {}), defs)}"
    if kind == "object":
        return f"map of {_type(field.get('additionalProperties', {}), defs)}"
    return "date-time" if field.get("format") == "date-time" else str(kind)


def _rules(field: _Schema) -> str:
    options = field.get("anyOf", [field])
    rules = []
    for option in options:
        if "minimum" in option:
            rules.append(f"at least {option['minimum']}")
        if option.get("minLength") == 1:
            rules.append("not empty")
        if "pattern" in option:
            rules.append(f"matches `{option['pattern']}`")
    return f"({', '.join(rules)})" if rules else ""


def _text(schema: _Schema | None) -> str:
    if schema is None:
        return ""
    text = " ".join(str(schema.get("description", "")).split())
    return text.replace("``", "`")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
