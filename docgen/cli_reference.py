"""The command-line reference page, generated from the ``ocr`` argument parsers.

Every command and sub-command of :func:`ocr.cli.build_parser`, recursively,
with its usage line and a table of its arguments, so a new command appears
in the reference by itself; then ``ocr-train``'s config groups, read from
the packaged Hydra configs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Final

from ocr.cli import build_parser
from ocr.layout import packaged_config_dir

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["CLI_PAGE", "render_cli_reference"]

CLI_PAGE: Final = "docs/reference/cli.md"
_HEADER: Final = """\
# Command-line reference

<!-- Generated from ocr.cli.build_parser() by `python -m docgen write`; do not edit. -->

Generated from the argument parsers, so it lists exactly what the installed
`ocr` accepts. Every command prints one line, `ocr: error: <cause>. <fix>`,
and exits 2 on bad input; `OCR_FULL_ERROR=1` shows the traceback instead.
`ROOT` is an output root (the folder that holds the date folders), `./outputs`
when left out. Every command also takes `-h`/`--help`.
"""


def render_cli_reference() -> str:
    """The whole page: every ``ocr`` command, then ``ocr-train``.

    Returns:
        The page's Markdown.
    """
    sections = [_HEADER]
    for name, parser, summary in _commands(build_parser(), "ocr", None):
        sections.append(_command_section(name, parser, summary))
    sections.append(_train_section(packaged_config_dir("train")))
    return "\n".join(sections)


def _commands(
    parser: argparse.ArgumentParser, name: str, summary: str | None
) -> Iterator[tuple[str, argparse.ArgumentParser, str | None]]:
    yield name, parser, summary
    for action in parser._actions:  # argparse keeps its arguments there
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for sub_name, sub_parser in action.choices.items():
                yield from _commands(sub_parser, f"{name} {sub_name}", helps.get(sub_name))


def _command_section(name: str, parser: argparse.ArgumentParser, summary: str | None) -> str:
    level = "#" * min(name.count(" ") + 2, 4)
    parts = [f"{level} `{name}`\n"]
    about = parser.description or summary
    if about:
        parts.append(f"{_sentence(about)}\n")
    parts.append(f"```text\n{_usage(name, parser)}\n```\n")
    rows = [_row(action) for action in parser._actions if _documented(action)]
    if rows:
        parts.append("| argument | default | meaning |\n|---|---|---|\n" + "".join(rows))
    return "\n".join(parts)


def _documented(action: argparse.Action) -> bool:
    return not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)


def _usage(name: str, parser: argparse.ArgumentParser) -> str:
    grouped = {
        id(action): group
        for group in parser._mutually_exclusive_groups
        for action in group._group_actions
    }
    words = [name]
    done: set[int] = set()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or id(action) in done:
            continue
        group = grouped.get(id(action))
        if group is not None:
            members = group._group_actions
            done.update(id(member) for member in members)
            words.append("[" + " | ".join(_spelling(member) for member in members) + "]")
        elif action.option_strings:
            words.append(
                f"{{{_spelling(action)}}}" if action.required else f"[{_spelling(action)}]"
            )
        else:
            words.append(_positional(action))
    return " ".join(words).replace("{", "").replace("}", "")


def _spelling(action: argparse.Action) -> str:
    flag = max(action.option_strings, key=len)
    if action.nargs == 0:
        return flag
    return f"{flag} {_metavar(action)}"


def _metavar(action: argparse.Action) -> str:
    if action.choices is not None and action.metavar is None:
        return "|".join(str(choice) for choice in action.choices)
    metavar = action.metavar or action.dest.upper()
    return metavar if isinstance(metavar, str) else " ".join(metavar)


def _positional(action: argparse.Action) -> str:
    if isinstance(action, argparse._SubParsersAction):
        return f"{_metavar(action)} ..."
    metavar = _metavar(action)
    if action.nargs == "?":
        return f"[{metavar}]"
    if action.nargs in ("*", argparse.ZERO_OR_MORE):
        return f"[{metavar} ...]"
    if action.nargs in ("+", argparse.ONE_OR_MORE):
        return f"{metavar} [{metavar} ...]"
    return metavar


def _row(action: argparse.Action) -> str:
    spelled = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{_metavar(action)}`"
    if action.option_strings and action.nargs != 0:
        spelled += f" `{_metavar(action)}`"
    meaning = _sentence(_expanded_help(action) or "")
    if isinstance(action, argparse._AppendAction):
        meaning = f"{meaning} Repeatable.".strip()
    return f"| {_cell(spelled)} | {_cell(_default(action))} | {_cell(meaning)} |\n"


def _expanded_help(action: argparse.Action) -> str | None:
    if action.help is None or action.help == argparse.SUPPRESS:
        return None
    return action.help % vars(action) if "%" in action.help else action.help


def _default(action: argparse.Action) -> str:
    default = action.default
    if default is None or isinstance(default, bool) or default == argparse.SUPPRESS:
        return ""
    if isinstance(default, list):
        return " ".join(f"`{item}`" for item in default)
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")")) else f"{text}."


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _train_section(config_dir: Path) -> str:
    groups = sorted(
        folder for folder in config_dir.iterdir() if folder.is_dir() and folder.name != "hydra"
    )
    rows = "".join(
        f"| `{group.name}` | {', '.join(f'`{option.stem}`' for option in sorted(group.glob('*.yaml')))} |\n"
        for group in groups
    )
    return f"""\
## `ocr-train`

The reference trainer (also `python -m ocr.train`): a Hydra application over
the packaged configs (`train.yaml`). It takes Hydra overrides, not options:
`ocr-train model=dbnet_fpn trainer.max_epochs=3`, `ocr-train --multirun
model.encoder=tiny_cnn,tiny_resnet`, `ocr-train --help` for Hydra's own help.
Bad input prints one line, `ocr-train: error: <cause>. <fix>`, and exits 2.

```text
ocr-train [--multirun] [KEY=VALUE ...]
```

| config group | options |
|---|---|
{rows}"""
