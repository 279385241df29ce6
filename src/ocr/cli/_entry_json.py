r"""``ocr catalog --format json``, streamed: each entry written as it is rendered.

The output is the contract of :meth:`ocr.catalog.CatalogEntry.as_json`, byte
for byte what ``json_text([entry.as_json() for entry in entries])`` prints
(indented by two, non-ASCII kept, a name's undecodable bytes as ``\udcXX``).
The standard library writes indented JSON with its pure-Python encoder, one
generator step per token, which cost four times the catalog's warm scan at
100,000 checkpoints. Here each entry is one f-string of its fields, each field
spelled by the same C routines ``json`` uses (``encode_basestring``,
``int.__repr__``, ``float.__repr__``); an entry whose values are not of the
types the catalog produces takes ``json`` itself, so the text never differs.
The unit tests compare the two on generated entries.
"""

from __future__ import annotations

from datetime import datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Final

from ocr.cli._output import json_item_text, write_json_list

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import TextIO

    from ocr.catalog import CatalogEntry

__all__ = ["write_entries_json"]

_FIELD: Final = "\n    "  # an entry's fields sit at depth 2 of the output
_ITEM: Final = "\n      "  # the items of its metrics, tags, sources, problems at depth 3
_NON_FINITE: Final = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}


def write_entries_json(entries: Iterable[CatalogEntry], out: TextIO) -> None:
    r"""Write the entries as ``--format json``: a JSON list, one object per entry.

    Args:
        entries: The entries, written in this order as they come.
        out: The text stream (standard output).

    >>> import io
    >>> out = io.StringIO()
    >>> write_entries_json([], out)
    >>> out.getvalue()
    '[]\n'
    """
    from ocr.catalog import ENTRY_FIELDS  # noqa: PLC0415 (the caller has loaded the catalog)

    render = _EntryText() if ENTRY_FIELDS == _FIELDS else _json_entry_text
    write_json_list(entries, out, render=render)


def _json_entry_text(entry: CatalogEntry) -> str:
    """The slow, exact way: ``json`` itself."""
    return json_item_text(entry.as_json())


class _EntryText:
    """Renders entries one by one, each as it stands in the list (indented by two).

    The checkpoints of a run share its folder, name, time and model: those
    eight fields are rendered once per run and reused (keyed by their values,
    the time with its UTC offset, so equal instants in two zones stay apart),
    and so is each distinct ``sources`` mapping (the catalog shares one
    object between entries; it is kept here, so its identity stays its own).
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[object, ...], str] = {}
        self._sources: dict[int, tuple[Mapping[str, str], str]] = {}

    def __call__(self, entry: CatalogEntry) -> str:
        try:
            return self._fast(entry)
        except TypeError:  # a value of a type the catalog does not produce: json spells it
            return _json_entry_text(entry)

    def _fast(self, entry: CatalogEntry) -> str:
        """The entry field by field; ``TypeError`` when a value is not of the catalog's types."""
        created = entry.created_at
        run = (*entry[3:11], None if created is None else created.utcoffset())
        run_text = self._runs.get(run)
        if run_text is None:
            run_text = self._runs[run] = _run_text(entry)
        sources = entry.sources
        known = self._sources.get(id(sources))
        if known is None or known[0] is not sources:
            known = self._sources[id(sources)] = (sources, _text_map(sources))
        return (
            f'  {{{_FIELD}"path": {encode_basestring(entry.path)},'
            f'{_FIELD}"layout": {encode_basestring(entry.layout)},'
            f'{_FIELD}"sidecar": {encode_basestring(entry.sidecar)},{run_text}'
            f'{_FIELD}"epoch": {_integer(entry.epoch)},'
            f'{_FIELD}"step": {_integer(entry.step)},'
            f'{_FIELD}"metrics": {_metrics(entry.metrics)},'
            f'{_FIELD}"is_best": {_flag(entry.is_best)},'
            f'{_FIELD}"is_last": {_flag(entry.is_last)},'
            f'{_FIELD}"size_bytes": {_integer(entry.size_bytes)},'
            f'{_FIELD}"config_hash": {_text(entry.config_hash)},'
            f'{_FIELD}"status": {_text(entry.status)},'
            f'{_FIELD}"tags": {_texts(entry.tags)},'
            f'{_FIELD}"sources": {known[1]},'
            f'{_FIELD}"problems": {_texts(entry.problems)},'
            f'{_FIELD}"monitor": {_text(entry.monitor)},'
            f'{_FIELD}"task": {_text(entry.task)}'
            "\n  }"
        )


def _run_text(entry: CatalogEntry) -> str:
    """The fields an entry shares with the other checkpoints of its run."""
    created = entry.created_at
    return (
        f'{_FIELD}"run_dir": {_text(entry.run_dir)},'
        f'{_FIELD}"experiment_id": {_text(entry.experiment_id)},'
        f'{_FIELD}"name": {_text(entry.name)},'
        f'{_FIELD}"created_at": {"null" if created is None else _time(created)},'
        f'{_FIELD}"architecture": {_text(entry.architecture)},'
        f'{_FIELD}"encoder": {_text(entry.encoder)},'
        f'{_FIELD}"decoder": {_text(entry.decoder)},'
        f'{_FIELD}"head": {_text(entry.head)},'
    )


# The fields _EntryText writes, in order; an entry with others takes json.
_FIELDS: Final = (
    "path",
    "layout",
    "sidecar",
    "run_dir",
    "experiment_id",
    "name",
    "created_at",
    "architecture",
    "encoder",
    "decoder",
    "head",
    "epoch",
    "step",
    "metrics",
    "is_best",
    "is_last",
    "size_bytes",
    "config_hash",
    "status",
    "tags",
    "sources",
    "problems",
    "monitor",
    "task",
)


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _time(value: datetime) -> str:
    if type(value) is not datetime:
        raise TypeError(type(value).__name__)
    return encode_basestring(value.isoformat())


def _integer(value: int | None) -> str:
    if value is None:
        return "null"
    if type(value) is not int:  # a bool is an int that json writes as true/false
        raise TypeError(type(value).__name__)
    return int.__repr__(value)


def _flag(value: bool) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise TypeError(type(value).__name__)


def _number(value: float) -> str:
    if type(value) is not float:
        raise TypeError(type(value).__name__)
    text = float.__repr__(value)
    return _NON_FINITE.get(text, text)  # written as strings, as sidecars write them


def _metrics(metrics: Mapping[str, float]) -> str:
    if not metrics:
        return "{}"
    items = f",{_ITEM}".join(
        [f"{encode_basestring(name)}: {_number(value)}" for name, value in metrics.items()]
    )
    return f"{{{_ITEM}{items}{_FIELD}}}"


def _text_map(texts: Mapping[str, str]) -> str:
    if not texts:
        return "{}"
    items = f",{_ITEM}".join(
        [f"{encode_basestring(key)}: {encode_basestring(value)}" for key, value in texts.items()]
    )
    return f"{{{_ITEM}{items}{_FIELD}}}"


def _texts(texts: Sequence[str]) -> str:
    if not texts:
        return "[]"
    return f"[{_ITEM}{f',{_ITEM}'.join(map(encode_basestring, texts))}{_FIELD}]"
