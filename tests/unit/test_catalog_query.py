from __future__ import annotations

import math
import operator
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.catalog import best_per_group, parse_best, parse_where, resolve_key
from ocr.catalog._entry import ENTRY_FIELDS, CatalogEntry
from ocr.errors import CatalogQueryError
from tests.strategies import catalog_entries, query_strings, query_tags

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

KEY_HELP = (
    "Write a key: metrics.<name> (or the bare metric name), model.<part>, config.<dotted.key>, "
    "tags, or a field (also as attributes.<field>): architecture, config_hash, created_at, "
    "decoder, encoder, epoch, experiment_id, head, is_best, is_last, layout, monitor, name, path, "
    "run_dir, sidecar, size_bytes, status, step, task"
)
OPERATOR_HELP = (
    "Use one of =, !=, <, <=, >, >=, LIKE, ILIKE, NOT LIKE, NOT ILIKE, IN (...), NOT IN (...), "
    "IS NULL, IS NOT NULL"
)
BEST_HELP = (
    "Write best(<key>) or best(<key>, by=[<key>, ...]), e.g. best(metrics.val/hmean, "
    "by=[model.encoder])"
)
IN_FIX = "Write IN (value, ...), e.g. IN ('resnet18', 'resnet34')"
DATE_FIX = "Quote an ISO date or time, e.g. '2025-10-18' or '2025-10-18T14:03:22+02:00'"
CREATED = datetime(2025, 10, 18, 14, 3, 22, tzinfo=UTC)


def _entry(**fields: Any) -> CatalogEntry:
    return CatalogEntry("runs/a.ckpt", "new", "valid")._replace(**fields)


ENTRY = _entry(
    run_dir="2025-10-18/14-03-22",
    experiment_id="01abc",
    name="dbnet-r18",
    created_at=CREATED,
    architecture="dbnet",
    encoder="resnet18",
    decoder="unet",
    head="db_head",
    epoch=3,
    step=1200,
    metrics={"val/hmean": 0.93, "val_loss": 0.21, "weird key": 1.0},
    is_best=True,
    size_bytes=1000,
    config_hash="abc123",
    status="completed",
    tags=("baseline", "r18"),
    monitor="val/hmean",
    task="train",
)
BARE = _entry()


def _matches(text: str, entry: CatalogEntry = ENTRY) -> bool:
    return parse_where(text)(entry)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("metrics.val/hmean > 0.9", True, id="gt"),
        pytest.param("metrics.val/hmean > 0.93", False, id="gt-equal"),
        pytest.param("metrics.val/hmean >= 0.93", True, id="ge"),
        pytest.param("metrics.val/hmean < 0.93", False, id="lt"),
        pytest.param("metrics.val/hmean <= 0.93", True, id="le"),
        pytest.param("metrics.val/hmean = 0.93", True, id="eq"),
        pytest.param("metrics.val/hmean == 0.93", True, id="eq-double"),
        pytest.param("metrics.val/hmean != 0.93", False, id="ne"),
        pytest.param("metrics.val_loss < 2.2e-1", True, id="exponent"),
        pytest.param("metrics.val_loss > -1", True, id="negative"),
        pytest.param("metrics.`weird key` = 1", True, id="backtick-key"),
        pytest.param("epoch = 3.0", True, id="int-equals-float"),
        pytest.param("step IN (1, 1200)", True, id="in"),
        pytest.param("step NOT IN (1200)", False, id="not-in"),
        pytest.param("model.encoder = 'resnet18'", True, id="string-eq"),
        pytest.param('model.encoder != "resnet18"', False, id="string-ne-double-quotes"),
        pytest.param("model.encoder < 'resnet2'", True, id="string-order"),
        pytest.param("model.encoder LIKE 'res%'", True, id="like-run"),
        pytest.param("model.encoder LIKE 'res_et18'", True, id="like-one"),
        pytest.param("model.encoder LIKE 'RES%'", False, id="like-case"),
        pytest.param("model.encoder LIKE 'res'", False, id="like-whole"),
        pytest.param("model.encoder ILIKE 'RES%'", True, id="ilike"),
        pytest.param("model.encoder NOT LIKE 'res%'", False, id="not-like"),
        pytest.param("model.encoder NOT ILIKE 'X%'", True, id="not-ilike"),
        pytest.param("model.architecture = 'dbnet'", True, id="architecture"),
        pytest.param("model.decoder = 'unet' and model.head = 'db_head'", True, id="decoder-head"),
        pytest.param("encoder = 'resnet18'", True, id="bare-field"),
        pytest.param("attributes.encoder = 'resnet18'", True, id="attributes-prefix"),
        pytest.param("model.head IS NOT NULL", True, id="is-not-null"),
        pytest.param("model.head IS NULL", False, id="is-null"),
        pytest.param("is_best = true", True, id="bool"),
        pytest.param("is_last = false", True, id="bool-false"),
        pytest.param("is_best != true", False, id="bool-ne"),
        pytest.param("is_best IN (false)", False, id="bool-in"),
        pytest.param("layout = 'new' and sidecar IN ('valid', 'stale')", True, id="enums"),
        pytest.param("created_at >= '2025-10-18'", True, id="date-local"),
        pytest.param("created_at < '2025-10-18T14:03:22+00:00'", False, id="datetime"),
        pytest.param("created_at = '2025-10-18T16:03:22+02:00'", True, id="datetime-other-zone"),
        pytest.param("created_at > '2025-10-18T14:03:21Z'", True, id="datetime-z"),
        pytest.param("tags = 'baseline'", True, id="tags-member"),
        pytest.param("tags = 'zzz'", False, id="tags-not-member"),
        pytest.param("tags != 'baseline'", False, id="tags-ne-member"),
        pytest.param("tags != 'zzz'", True, id="tags-ne"),
        pytest.param("tags IN ('zzz', 'r18')", True, id="tags-in"),
        pytest.param("tags NOT IN ('zzz')", True, id="tags-not-in"),
        pytest.param("tags LIKE 'base%'", True, id="tags-like"),
        pytest.param("tags IS NOT NULL", True, id="tags-not-null"),
        pytest.param("config_hash = 'abc123' and status = 'completed'", True, id="strings"),
        pytest.param("path LIKE '%.ckpt' and run_dir LIKE '2025-10-18/%'", True, id="paths"),
        pytest.param("experiment_id = '01abc' and name = 'dbnet-r18'", True, id="ids"),
        pytest.param("size_bytes >= 1000", True, id="size"),
        pytest.param("NOT epoch IS NULL AnD tags = 'r18' Or epoch = 9", True, id="keyword-case"),
    ],
)
def test_condition_matches_when_evaluated(text: str, expected: bool) -> None:
    assert _matches(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("epoch = 3 or epoch = 4 and epoch = 5", True, id="and-before-or"),
        pytest.param("(epoch = 3 or epoch = 4) and epoch = 5", False, id="parentheses"),
        pytest.param("not epoch = 3 and epoch = 4", False, id="not-before-and"),
        pytest.param("not (epoch = 3 and epoch = 4)", True, id="not-parenthesised"),
        pytest.param("not epoch = 4 or epoch = 5", True, id="not-before-or"),
        pytest.param("not not epoch = 3", True, id="double-not"),
        pytest.param("epoch = 4 or epoch = 5 or epoch = 3", True, id="or-chain"),
        pytest.param("epoch = 3 and step = 1200 and is_best = false", False, id="and-chain"),
        pytest.param("((epoch = 3))", True, id="nested-parentheses"),
    ],
)
def test_precedence_is_not_and_or_when_combined(text: str, expected: bool) -> None:
    assert _matches(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("metrics.val/hmean > 0.9", False, id="gt"),
        pytest.param("metrics.val/hmean <= 0.9", False, id="le"),
        pytest.param("metrics.val/hmean != 0.9", False, id="ne"),
        pytest.param("metrics.val/hmean NOT IN (0.9)", False, id="not-in"),
        pytest.param("model.encoder NOT LIKE 'x%'", False, id="not-like"),
        pytest.param("created_at < '2100-01-01'", False, id="date"),
        pytest.param("not metrics.val/hmean > 0.9", True, id="not"),
        pytest.param("metrics.val/hmean IS NULL", True, id="is-null"),
        pytest.param("metrics.val/hmean IS NOT NULL", False, id="is-not-null"),
        pytest.param("tags != 'x'", True, id="tags-ne-on-no-tags"),
        pytest.param("tags NOT IN ('x')", True, id="tags-not-in-on-no-tags"),
        pytest.param("tags IS NULL", True, id="no-tags-are-null"),
        pytest.param("config.model.encoder IS NULL", True, id="config-without-lookup"),
    ],
)
def test_comparisons_are_false_when_the_value_is_unknown(text: str, expected: bool) -> None:
    assert _matches(text, BARE) is expected


CONFIG: Mapping[str, object] = {
    "model": {"encoder": {"name": "resnet18"}, "lr": 0.001, "layers": [1, 2]},
    "trainer": {"devices": 2, "flag": True},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("config.model.encoder.name = 'resnet18'", True, id="nested"),
        pytest.param("config.model.encoder.name LIKE 'res%'", True, id="like"),
        pytest.param("config.model.lr < 0.01", True, id="number"),
        pytest.param("config.model.layers.1 = 2", True, id="list-index"),
        pytest.param("config.model.layers.7 IS NULL", True, id="list-index-out-of-range"),
        pytest.param("config.model.layers.x IS NULL", True, id="list-non-index"),
        pytest.param("config.model.lr.deeper IS NULL", True, id="through-a-scalar"),
        pytest.param("config.trainer.devices = '2'", False, id="other-type"),
        pytest.param("config.trainer.devices != '2'", False, id="other-type-ne"),
        pytest.param("config.trainer.devices IN ('2', 2)", True, id="in-mixed"),
        pytest.param("config.trainer.devices NOT IN ('2')", False, id="not-in-other-type"),
        pytest.param("config.trainer.flag = true", True, id="bool"),
        pytest.param("config.trainer.flag = 1", False, id="bool-is-no-number"),
        pytest.param("config.trainer.devices = true", False, id="number-is-no-bool"),
        pytest.param("config.model LIKE '%'", False, id="like-non-string"),
        pytest.param("config.missing IS NULL", True, id="missing"),
        pytest.param("config.`model`.`lr` > 0", True, id="backticks"),
    ],
)
def test_config_keys_resolve_through_the_lookup_when_given(text: str, expected: bool) -> None:
    assert parse_where(text, config_lookup=lambda _: CONFIG)(ENTRY) is expected


def test_config_keys_are_unknown_when_the_lookup_finds_nothing() -> None:
    where = parse_where("config.model.lr IS NULL", config_lookup=lambda _: None)
    assert where(ENTRY)


def test_config_lookup_runs_once_per_entry_when_several_keys_need_it() -> None:
    calls: list[str] = []

    def lookup(entry: CatalogEntry) -> Mapping[str, object]:
        calls.append(entry.path)
        return CONFIG

    where = parse_where("config.model.lr > 0 and config.trainer.devices = 2", config_lookup=lookup)
    assert where(ENTRY)
    assert where(BARE)
    assert calls == [ENTRY.path, BARE.path]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        pytest.param(r"'it\'s'", "it's", id="single-quote"),
        pytest.param(r'"say \"hi\""', 'say "hi"', id="double-quote"),
        pytest.param(r"'a\\b'", "a\\b", id="backslash"),
        pytest.param(r"'a\nb\tc'", "a\nb\tc", id="newline-tab"),
        pytest.param("'it''s'", None, id="sql-doubling-is-two-strings"),
    ],
)
def test_string_escapes_are_read_when_quoted(literal: str, value: str | None) -> None:
    if value is None:
        with pytest.raises(CatalogQueryError):
            parse_where(f"name = {literal}")
        return
    assert _matches(f"name = {literal}", _entry(name=value))
    assert not _matches(f"name = {literal}", _entry(name=value + "x"))


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        pytest.param(r"'100\%'", "100%", True, id="escaped-percent"),
        pytest.param(r"'100\%'", "1000", False, id="escaped-percent-is-literal"),
        pytest.param(r"'a\_b'", "a_b", True, id="escaped-underscore"),
        pytest.param(r"'a\_b'", "axb", False, id="escaped-underscore-is-literal"),
        pytest.param("'a.c'", "abc", False, id="regex-characters-are-literal"),
        pytest.param("'%'", "line\nbreak", True, id="percent-spans-lines"),
    ],
)
def test_like_reads_escapes_when_matching(pattern: str, name: str, expected: bool) -> None:
    assert _matches(f"name LIKE {pattern}", _entry(name=name)) is expected


def test_created_at_literals_are_local_time_when_naive() -> None:
    local = datetime(2025, 10, 18, 9, 30).astimezone()
    entry = _entry(created_at=local)
    assert _matches("created_at = '2025-10-18T09:30:00'", entry)
    assert _matches("created_at > '2025-10-18' and created_at < '2025-10-19'", entry)


def test_every_scalar_field_is_a_key_when_the_entry_has_it() -> None:
    scalars = [
        field for field in ENTRY_FIELDS if field not in ("metrics", "tags", "sources", "problems")
    ]
    for field in scalars:
        assert parse_where(f"{field} IS NOT NULL and attributes.{field} IS NOT NULL")(ENTRY), field


def test_created_at_compares_as_local_time_when_the_entry_time_is_naive() -> None:
    entry = _entry(created_at=datetime(2025, 10, 18, 9, 30))
    local = datetime(2025, 10, 18, 9, 30).astimezone().isoformat()
    assert _matches(f"created_at = '{local}'", entry)
    assert resolve_key(entry, "created_at") == datetime(2025, 10, 18, 9, 30).astimezone()


def test_predicate_repr_shows_the_expression_when_printed() -> None:
    assert repr(parse_where("epoch = 3")) == "Where(text='epoch = 3')"


def _error(text: str, column: int, problem: str, fix: str, label: str = "catalog query") -> str:
    return f"invalid {label} {text!r} at column {column}: {problem}. {fix}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "",
            _error(
                "",
                1,
                "the expression is empty",
                "Write a condition such as metrics.val/hmean > 0.9",
            ),
            id="empty",
        ),
        pytest.param(
            "epoch = 1 #",
            _error(
                "epoch = 1 #",
                11,
                "unexpected character '#'",
                "Quote values as 'text', and keys with other characters in backticks: metrics.`weird key`",
            ),
            id="character",
        ),
        pytest.param(
            "name = 'abc",
            _error(
                "name = 'abc",
                8,
                "the string starting here is not closed",
                "Close the string with a matching ' (write \\' for one inside it)",
            ),
            id="open-string",
        ),
        pytest.param(
            "name = 'a\\qb'",
            _error(
                "name = 'a\\qb'",
                10,
                "unknown escape '\\\\q' in a string",
                "Use one of \\\\ \\' \\\" \\n \\t, or \\% and \\_ in LIKE patterns",
            ),
            id="escape",
        ),
        pytest.param(
            "metrics.`val",
            _error(
                "metrics.`val",
                9,
                "the quoted key starting here is not closed",
                "Close the key with a backtick (write `` for a backtick inside it)",
            ),
            id="open-backtick",
        ),
        pytest.param(
            "metrics.val > 'a'",
            _error(
                "metrics.val > 'a'",
                15,
                "metrics.val holds numbers, got the string 'a'",
                "Compare it with a number such as 3, -0.5 or 1e-3",
            ),
            id="metric-string",
        ),
        pytest.param(
            "metrics.val = true",
            _error(
                "metrics.val = true",
                15,
                "metrics.val holds numbers, got 'true'",
                "Compare it with a number such as 3, -0.5 or 1e-3",
            ),
            id="metric-bool",
        ),
        pytest.param(
            "model.encoder = 3",
            _error(
                "model.encoder = 3",
                17,
                "model.encoder holds strings, got the number 3",
                "Quote the value, e.g. 'resnet18'",
            ),
            id="string-number",
        ),
        pytest.param(
            "is_best = 1",
            _error(
                "is_best = 1",
                11,
                "is_best holds true or false, got the number 1",
                "Compare it with true or false",
            ),
            id="bool-number",
        ),
        pytest.param(
            "created_at > 3",
            _error("created_at > 3", 14, "created_at holds dates, got the number 3", DATE_FIX),
            id="date-number",
        ),
        pytest.param(
            "created_at > 'yesterday'",
            _error(
                "created_at > 'yesterday'", 14, "'yesterday' is not an ISO date or time", DATE_FIX
            ),
            id="date-text",
        ),
        pytest.param(
            "tags = 3",
            _error(
                "tags = 3",
                8,
                "tags holds tag strings, got the number 3",
                "Quote the tag, e.g. tags = 'baseline'",
            ),
            id="tags-number",
        ),
        pytest.param(
            "layout = 'nwe'",
            _error(
                "layout = 'nwe'",
                10,
                "layout has no value 'nwe'",
                "Use one of 'model_subfolder', 'name_based', 'new', 'sweep', 'tagged'",
            ),
            id="choice",
        ),
        pytest.param(
            "sidecar IN ('valid', 'ok')",
            _error(
                "sidecar IN ('valid', 'ok')",
                22,
                "sidecar has no value 'ok'",
                "Use one of 'invalid', 'missing', 'stale', 'valid'",
            ),
            id="choice-in",
        ),
        pytest.param(
            "is_best < true",
            _error(
                "is_best < true",
                9,
                "'<' does not apply to is_best",
                "Compare true/false keys with =, !=, IN (...), NOT IN (...) or IS NULL",
            ),
            id="bool-order",
        ),
        pytest.param(
            "metrics.x LIKE 'a%'",
            _error(
                "metrics.x LIKE 'a%'",
                11,
                "LIKE does not apply to metrics.x",
                "Compare numbers with =, !=, <, <=, >, >=, IN (...), NOT IN (...) or IS NULL",
            ),
            id="number-like",
        ),
        pytest.param(
            "created_at ILIKE '2025%'",
            _error(
                "created_at ILIKE '2025%'",
                12,
                "ILIKE does not apply to created_at",
                "Compare dates with =, !=, <, <=, >, >=, IN (...), NOT IN (...) or IS NULL",
            ),
            id="date-ilike",
        ),
        pytest.param(
            "tags > 'a'",
            _error(
                "tags > 'a'",
                6,
                "'>' does not apply to tags",
                "Test tags with tags = 'x', tags != 'x', tags IN ('x', 'y'), tags LIKE 'x%' or tags IS NULL",
            ),
            id="tags-order",
        ),
        pytest.param(
            "config.a LIKE 3",
            _error(
                "config.a LIKE 3",
                15,
                "LIKE needs a quoted pattern, got the number 3",
                "Quote the pattern, e.g. config.a LIKE 'dbnet%'",
            ),
            id="like-pattern",
        ),
        pytest.param(
            "epoch IN 3",
            _error("epoch IN 3", 10, "expected '(' after IN, got the number 3", IN_FIX),
            id="in-parenthesis",
        ),
        pytest.param(
            "epoch IN ()",
            _error("epoch IN ()", 11, "IN needs at least one value", IN_FIX),
            id="in-empty",
        ),
        pytest.param(
            "epoch IN (1 2)",
            _error(
                "epoch IN (1 2)", 13, "expected ',' or ')' in the IN list, got the number 2", IN_FIX
            ),
            id="in-comma",
        ),
        pytest.param(
            "(epoch = 1",
            _error(
                "(epoch = 1",
                11,
                "expected ')' to close the '(' at column 1, got the end of the expression",
                "Add the missing ')'",
            ),
            id="open-parenthesis",
        ),
        pytest.param(
            "epoch = 1)",
            _error(
                "epoch = 1)",
                10,
                "expected AND, OR or the end of the expression, got ')'",
                "Join conditions with AND or OR, and close each '(' once",
            ),
            id="extra-parenthesis",
        ),
        pytest.param(
            "epoch = 1 epoch",
            _error(
                "epoch = 1 epoch",
                11,
                "expected AND, OR or the end of the expression, got 'epoch'",
                "Join conditions with AND or OR, and close each '(' once",
            ),
            id="missing-and",
        ),
        pytest.param(
            "epoc = 1",
            _error(
                "epoc = 1",
                1,
                "unknown key 'epoc'",
                "Did you mean 'epoch'? For a metric of that name write metrics.`epoc`",
            ),
            id="field-typo",
        ),
        pytest.param(
            "metric.val/acc > 1",
            _error(
                "metric.val/acc > 1",
                1,
                "unknown key 'metric.val/acc'",
                "Did you mean 'metrics'? For a metric of that name write metrics.`metric.val/acc`",
            ),
            id="prefix-typo",
        ),
        pytest.param(
            "model.backbone = 'x'",
            _error(
                "model.backbone = 'x'",
                1,
                "unknown model key 'model.backbone'",
                "Use one of model.architecture, model.decoder, model.encoder, model.head",
            ),
            id="model-part",
        ),
        pytest.param(
            "attributes.tags = 'x'",
            _error(
                "attributes.tags = 'x'",
                1,
                "unknown attributes key 'attributes.tags'",
                "Use one of attributes.architecture, attributes.config_hash, attributes.created_at, attributes.decoder, attributes.encoder, attributes.epoch, attributes.experiment_id, attributes.head, attributes.is_best, attributes.is_last, attributes.layout, attributes.monitor, attributes.name, attributes.path, attributes.run_dir, attributes.sidecar, attributes.size_bytes, attributes.status, attributes.step, attributes.task",
            ),
            id="attribute",
        ),
        pytest.param(
            "metrics. = 1",
            _error(
                "metrics. = 1",
                1,
                "key 'metrics.' has an empty name part",
                "Write a name after each dot, e.g. metrics.val/hmean or config.model.encoder",
            ),
            id="empty-name",
        ),
        pytest.param(
            "and = 1",
            _error("and = 1", 1, "expected a key, got 'and'", KEY_HELP),
            id="keyword-as-key",
        ),
        pytest.param(
            "0.9 < metrics.x",
            _error("0.9 < metrics.x", 1, "expected a key, got the number 0.9", KEY_HELP),
            id="literal-first",
        ),
        pytest.param(
            "epoch = 1 or",
            _error("epoch = 1 or", 13, "expected a key, got the end of the expression", KEY_HELP),
            id="dangling-or",
        ),
        pytest.param(
            "epoch 3",
            _error(
                "epoch 3", 7, "expected an operator after epoch, got the number 3", OPERATOR_HELP
            ),
            id="operator",
        ),
        pytest.param(
            "epoch NOT 3",
            _error(
                "epoch NOT 3",
                11,
                "expected IN, LIKE or ILIKE after NOT, got the number 3",
                OPERATOR_HELP,
            ),
            id="not-operator",
        ),
        pytest.param(
            "epoch IS 3",
            _error(
                "epoch IS 3",
                10,
                "expected NULL or NOT NULL after IS, got the number 3",
                "Write epoch IS NULL or epoch IS NOT NULL",
            ),
            id="is",
        ),
        pytest.param(
            "epoch = and",
            _error(
                "epoch = and",
                9,
                "expected a value, got 'and'",
                "Write a number (3, -0.5, 1e-3), a quoted string ('resnet18'), true or false",
            ),
            id="value",
        ),
        pytest.param(
            "epoch = null",
            _error(
                "epoch = null",
                9,
                "compare with null using IS NULL",
                "Write epoch IS NULL or epoch IS NOT NULL",
            ),
            id="null",
        ),
        pytest.param(
            "(" * 51 + "epoch = 1" + ")" * 51,
            _error(
                "(" * 51 + "epoch = 1" + ")" * 51,
                51,
                "the expression nests deeper than 50 levels",
                "Simplify the expression: use fewer nested parentheses and NOTs",
            ),
            id="depth",
        ),
    ],
)
def test_parse_where_explains_the_problem_when_the_expression_is_invalid(
    text: str, message: str
) -> None:
    with pytest.raises(CatalogQueryError) as info:
        parse_where(text)
    assert str(info.value) == message
    assert info.value.value == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("best(metrics.val/hmean)", ("metrics.val/hmean", []), id="metric-only"),
        pytest.param(
            "best(metrics.val/hmean, by=[model.encoder, model.decoder])",
            ("metrics.val/hmean", ["model.encoder", "model.decoder"]),
            id="by",
        ),
        pytest.param(
            " BEST ( epoch , BY = [ tags ] ) ", ("epoch", ["tags"]), id="spacing-and-case"
        ),
        pytest.param("best(metrics.x, by=[])", ("metrics.x", []), id="empty-by"),
        pytest.param(
            "best(config.a, by=[config.`b c`])", ("config.a", ["config.`b c`"]), id="config"
        ),
    ],
)
def test_parse_best_returns_the_keys_as_written_when_valid(
    text: str, expected: tuple[str, list[str]]
) -> None:
    assert parse_best(text) == expected


@pytest.mark.parametrize(
    ("text", "column", "problem", "fix"),
    [
        pytest.param(
            "best metrics.x",
            6,
            "expected '(' after best, got 'metrics.x'",
            BEST_HELP,
            id="parenthesis",
        ),
        pytest.param("top(metrics.x)", 1, "expected best(, got 'top'", BEST_HELP, id="name"),
        pytest.param("best()", 6, "expected a key, got ')'", KEY_HELP, id="no-key"),
        pytest.param(
            "best(model.encoder)",
            6,
            "model.encoder holds no numbers to rank by",
            "Rank by a metric or another number key, e.g. best(metrics.val/hmean)",
            id="not-a-number",
        ),
        pytest.param(
            "best(metrics.x, mode=min)", 17, "expected by=, got 'mode'", BEST_HELP, id="by"
        ),
        pytest.param(
            "best(metrics.x, by=model.encoder)",
            20,
            "expected '[' after by=, got 'model.encoder'",
            BEST_HELP,
            id="brackets",
        ),
        pytest.param(
            "best(metrics.x, by=[epoch step])",
            27,
            "expected ',' between keys, got 'step'",
            BEST_HELP,
            id="comma",
        ),
        pytest.param(
            "best(metrics.x, by=[encodr])",
            21,
            "unknown key 'encodr'",
            "Did you mean 'encoder'? For a metric of that name write metrics.`encodr`",
            id="group-key",
        ),
        pytest.param(
            "best(metrics.x",
            15,
            "expected ')' to close best(, got the end of the expression",
            BEST_HELP,
            id="close",
        ),
        pytest.param(
            "best(metrics.x) extra",
            17,
            "expected the end of the expression, got 'extra'",
            BEST_HELP,
            id="trailing",
        ),
    ],
)
def test_parse_best_explains_the_problem_when_invalid(
    text: str, column: int, problem: str, fix: str
) -> None:
    with pytest.raises(CatalogQueryError) as info:
        parse_best(text)
    assert str(info.value) == _error(text, column, problem, fix, label="best expression")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("metrics.val/hmean", 0.93, id="metric"),
        pytest.param("metrics.missing", None, id="missing-metric"),
        pytest.param("model.encoder", "resnet18", id="model"),
        pytest.param("attributes.epoch", 3, id="attribute"),
        pytest.param("layout", "new", id="enum-as-string"),
        pytest.param("created_at", CREATED, id="datetime"),
        pytest.param("tags", ("baseline", "r18"), id="tags"),
        pytest.param("config.model.lr", 0.001, id="config"),
        pytest.param("config.model", CONFIG["model"], id="config-mapping"),
    ],
)
def test_resolve_key_returns_the_value_when_the_key_is_valid(key: str, expected: object) -> None:
    assert resolve_key(ENTRY, key, config_lookup=lambda _: CONFIG) == expected


def test_resolve_key_returns_plain_strings_when_the_field_is_an_enum() -> None:
    assert type(resolve_key(ENTRY, "sidecar")) is str


def test_resolve_key_finds_config_unknown_when_no_lookup_is_given() -> None:
    assert resolve_key(ENTRY, "config.model.lr") is None


@pytest.mark.parametrize(
    ("key", "column", "problem", "fix"),
    [
        pytest.param(
            "metrics.x y",
            11,
            "expected the end of the key, got 'y'",
            "Write one key; put characters other than letters, digits, _ / - . in backticks",
            id="two-words",
        ),
        pytest.param("", 1, "expected a key, got the end of the expression", KEY_HELP, id="empty"),
        pytest.param(
            "stpe",
            1,
            "unknown key 'stpe'",
            "Did you mean 'step'? For a metric of that name write metrics.`stpe`",
            id="unknown",
        ),
    ],
)
def test_resolve_key_explains_the_problem_when_the_key_is_invalid(
    key: str, column: int, problem: str, fix: str
) -> None:
    with pytest.raises(CatalogQueryError) as info:
        resolve_key(ENTRY, key)
    assert str(info.value) == _error(key, column, problem, fix, label="key")


def _ranked(
    metric: float | None,
    *,
    path: str,
    encoder: str | None = "r18",
    decoder: str = "unet",
    created: datetime | None = CREATED,
) -> CatalogEntry:
    metrics = {} if metric is None else {"val/hmean": metric}
    return _entry(path=path, encoder=encoder, decoder=decoder, metrics=metrics, created_at=created)


def _paths(entries: list[CatalogEntry]) -> list[str]:
    return [entry.path for entry in entries]


def test_best_per_group_keeps_the_best_of_each_group_when_ranked_by_max() -> None:
    entries = [
        _ranked(0.8, path="a", encoder="r18"),
        _ranked(0.9, path="b", encoder="r18"),
        _ranked(0.7, path="c", encoder="r34"),
        _ranked(None, path="d", encoder="r34"),
        _ranked(0.95, path="e", encoder=None),
        _ranked(math.nan, path="f", encoder="r50"),
    ]
    best = best_per_group(entries, "metrics.val/hmean", by=["model.encoder"])
    assert _paths(best) == ["e", "b", "c"]


def test_best_per_group_prefers_lower_values_when_the_mode_is_min() -> None:
    entries = [_ranked(0.8, path="a"), _ranked(0.2, path="b"), _ranked(0.5, path="c", encoder="x")]
    assert _paths(best_per_group(entries, "metrics.val/hmean", by=["encoder"], mode="min")) == [
        "b",
        "c",
    ]


def test_best_per_group_breaks_ties_by_newer_time_then_path_when_scores_are_equal() -> None:
    older = CREATED - timedelta(days=1)
    entries = [
        _ranked(0.9, path="z-old", created=older),
        _ranked(0.9, path="z-unknown", created=None),
        _ranked(0.9, path="b-new"),
        _ranked(0.9, path="a-new"),
    ]
    assert _paths(best_per_group(entries, "metrics.val/hmean", by=[])) == ["a-new"]
    assert _paths(best_per_group(entries[:2], "metrics.val/hmean", by=[])) == ["z-old"]
    other_zone = CREATED.astimezone(timezone(timedelta(hours=5)))
    tied = [_ranked(0.9, path="b", created=other_zone), _ranked(0.9, path="a")]
    assert _paths(best_per_group(tied, "metrics.val/hmean", by=[])) == ["a"]


def test_best_per_group_groups_by_every_key_when_given_several() -> None:
    entries = [
        _ranked(0.8, path="a", decoder="unet"),
        _ranked(0.9, path="b", decoder="fpn"),
        _ranked(0.7, path="c", decoder="unet"),
        _ranked(0.6, path="d", encoder="r34", decoder="unet"),
    ]
    best = best_per_group(entries, "metrics.val/hmean", by=["model.encoder", "model.decoder"])
    assert _paths(best) == ["b", "a", "d"]


def test_best_per_group_groups_by_config_values_when_they_are_lists() -> None:
    configs: dict[str, Mapping[str, object]] = {
        "a": {"layers": [1, 2]},
        "b": {"layers": [1, 2]},
        "c": {"layers": {"n": 3}},
    }
    entries = [_ranked(0.5, path="a"), _ranked(0.6, path="b"), _ranked(0.4, path="c")]
    best = best_per_group(
        entries,
        "metrics.val/hmean",
        by=["config.layers"],
        config_lookup=lambda entry: configs[entry.path],
    )
    assert _paths(best) == ["b", "c"]


def test_best_per_group_ranks_by_any_number_key_when_not_a_metric() -> None:
    entries = [_entry(path="a", epoch=3), _entry(path="b", epoch=9), _entry(path="c")]
    assert _paths(best_per_group(entries, "epoch", by=[])) == ["b"]


@pytest.mark.parametrize(
    ("metric", "by", "mode", "message"),
    [
        pytest.param(
            "model.encoder",
            [],
            "max",
            _error(
                "model.encoder",
                1,
                "model.encoder holds no numbers to rank by",
                "Rank by a metric or another number key, e.g. best(metrics.val/hmean)",
                label="metric key",
            ),
            id="metric-not-a-number",
        ),
        pytest.param(
            "metrics.x",
            ["encodr"],
            "max",
            _error(
                "encodr",
                1,
                "unknown key 'encodr'",
                "Did you mean 'encoder'? For a metric of that name write metrics.`encodr`",
                label="group key",
            ),
            id="group-key",
        ),
        pytest.param(
            "metrics.x", [], "mid", "unknown best mode 'mid'. Use 'max' or 'min'", id="mode"
        ),
    ],
)
def test_best_per_group_explains_the_problem_when_asked_wrongly(
    metric: str, by: list[str], mode: str, message: str
) -> None:
    with pytest.raises(CatalogQueryError) as info:
        best_per_group([ENTRY], metric, by=by, mode=mode)  # type: ignore[arg-type]
    assert str(info.value) == message


# --- properties ---------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        *"()[],=<>!'\"`%_-.",
        "and",
        "or",
        "not",
        "in",
        "like",
        "ilike",
        "is",
        "null",
        "true",
        "false",
        "best",
        "by",
        "metrics.val/hmean",
        "model.encoder",
        "epoch",
        "tags",
        "config.a.b",
        "created_at",
        "'2025-10-18'",
        "0.9",
        "-1e3",
        "'x'",
        "IN (",
        "<=",
        "!=",
    ]
)
_SOUP = st.text(max_size=40) | st.lists(_TOKENS, max_size=14).map(" ".join)
_ANY_CONFIG = st.none() | st.dictionaries(
    st.sampled_from(["a", "b"]),
    st.none()
    | st.integers()
    | st.text(max_size=3)
    | st.dictionaries(st.just("b"), st.integers() | st.lists(st.booleans())),
)


@given(text=_SOUP, entry=catalog_entries, config=_ANY_CONFIG)
def test_parser_raises_only_query_errors_when_given_any_text(
    text: str, entry: CatalogEntry, config: Mapping[str, object] | None
) -> None:
    try:
        where = parse_where(text, config_lookup=lambda _: config)
    except CatalogQueryError:
        pass
    else:
        assert where(entry) in (True, False)
    try:
        metric, by = parse_best(text)
    except CatalogQueryError:
        pass
    else:
        best_per_group([entry], metric, by=by, config_lookup=lambda _: config)


def _quote(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _like(pattern: str, value: str) -> bool:
    """SQL LIKE by dynamic programming over pattern and value, no regex."""
    matched = [True] + [False] * len(value)
    for char in pattern:
        if char == "%":
            matched = [any(matched[: i + 1]) for i in range(len(value) + 1)]
        else:
            hit = [char in ("_", v) for v in value]
            matched = [False] + [matched[i] and hit[i] for i in range(len(value))]
    return matched[-1]


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMBER_KEYS: dict[str, Callable[[CatalogEntry], object]] = {
    "metrics.val/hmean": lambda e: e.metrics.get("val/hmean"),
    "metrics.val_loss": lambda e: e.metrics.get("val_loss"),
    "epoch": lambda e: e.epoch,
    "attributes.step": lambda e: e.step,
    "size_bytes": lambda e: e.size_bytes,
}
_STRING_KEYS: dict[str, Callable[[CatalogEntry], object]] = {
    "model.encoder": lambda e: e.encoder,
    "name": lambda e: e.name,
    "attributes.run_dir": lambda e: e.run_dir,
    "experiment_id": lambda e: e.experiment_id,
}
Comparison = tuple[str, "Callable[[CatalogEntry], bool]"]
_QUOTES = ["'", '"']
_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:  # noqa: PLR0911 (a return per kind reads best)
    """A random simple comparison and its straightforward Python evaluation."""
    kind = draw(st.sampled_from(["number", "string", "like", "bool", "date", "in", "tag", "null"]))
    op = draw(st.sampled_from(list(_ORDERINGS)))
    if kind == "number":
        key, literal = (
            draw(st.sampled_from(list(_NUMBER_KEYS))),
            draw(st.integers(-3, 30) | st.floats(-2, 2, allow_nan=False, allow_infinity=False)),
        )
        value = _NUMBER_KEYS[key]
        return (
            f"{key} {op} {literal!r}",
            lambda e: value(e) is not None and _ORDERINGS[op](value(e), literal),
        )
    if kind == "string":
        key, string = draw(st.sampled_from(list(_STRING_KEYS))), draw(query_strings)
        value = _STRING_KEYS[key]
        text = f"{key} {op} {_quote(string, draw(st.sampled_from(_QUOTES)))}"
        return text, lambda e: value(e) is not None and _ORDERINGS[op](value(e), string)
    if kind == "like":
        pattern = draw(st.text(alphabet="aAbB%_ ", max_size=5))
        negate, fold = draw(st.booleans()), draw(st.booleans())
        word = ("NOT " if negate else "") + ("ILIKE" if fold else "LIKE")

        def like(e: CatalogEntry) -> bool:
            if e.name is None:
                return False
            hit = _like(pattern.lower(), e.name.lower()) if fold else _like(pattern, e.name)
            return hit != negate

        return f"name {word} '{pattern}'", like
    if kind == "bool":
        literal_bool, equal = draw(st.booleans()), draw(st.booleans())
        text = f"is_best {'=' if equal else '!='} {str(literal_bool).lower()}"
        return text, lambda e: (e.is_best == literal_bool) == equal
    if kind == "date":
        written = draw(_times).isoformat()
        # Compare with the literal as written: instants in a DST fold never equal another zone's.
        moment = datetime.fromisoformat(written)
        text = f"created_at {op} '{written}'"
        return (
            text,
            lambda e: (
                e.created_at is not None and _ORDERINGS[op](e.created_at.astimezone(), moment)
            ),
        )
    if kind == "in":
        values, negate = (
            draw(st.lists(st.integers(0, 20), min_size=1, max_size=3)),
            draw(st.booleans()),
        )
        text = f"epoch {'NOT IN' if negate else 'IN'} ({', '.join(map(str, values))})"
        return text, lambda e: e.epoch is not None and (e.epoch in values) != negate
    if kind == "tag":
        tag, equal = draw(query_tags), draw(st.booleans())
        text = f"tags {'=' if equal else '!='} {_quote(tag, _QUOTES[0])}"
        return text, lambda e: (tag in e.tags) == equal
    key, negate = draw(st.sampled_from(list(_STRING_KEYS))), draw(st.booleans())
    value = _STRING_KEYS[key]
    return f"{key} IS {'NOT ' if negate else ''}NULL", lambda e: (value(e) is None) != negate


@given(comparison=comparisons(), entry=catalog_entries)
def test_predicate_agrees_with_python_when_comparing_one_key(
    comparison: Comparison, entry: CatalogEntry
) -> None:
    text, expected = comparison
    assert parse_where(text)(entry) is expected(entry), text


@given(first=comparisons(), second=comparisons(), entry=catalog_entries)
def test_and_and_or_commute_when_operands_swap(
    first: Comparison, second: Comparison, entry: CatalogEntry
) -> None:
    a, b = first[0], second[0]
    for word in ("and", "or"):
        assert parse_where(f"({a}) {word} ({b})")(entry) is parse_where(f"({b}) {word} ({a})")(
            entry
        )
    assert parse_where(f"{a} and {b}")(entry) is (first[1](entry) and second[1](entry))


@given(comparison=comparisons(), entry=catalog_entries)
def test_double_negation_changes_nothing_when_applied(
    comparison: Comparison, entry: CatalogEntry
) -> None:
    text = comparison[0]
    assert parse_where(f"not not {text}")(entry) is parse_where(text)(entry)
    assert parse_where(f"not {text}")(entry) is not parse_where(text)(entry)
