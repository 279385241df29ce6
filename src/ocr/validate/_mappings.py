"""Migration mappings: every mapping file is valid and every entry points at something.

An entry's new path is resolved exactly as :func:`ocr.compat.translate`
resolves it (relative to the root's parent, the root's old name standing for
the root as it is now), through compat's own helper. An entry whose target is
gone still holds when a later migration carried it elsewhere (or mapped its
old path anew) and that place exists, as :func:`ocr.compat.load_mappings`
merges them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ocr.compat import MigrationMapping, mapping_files, merge_mappings, read_mapping
from ocr.errors import MigrationMappingInvalidError, MigrationMappingVersionError
from ocr.validate._report import Problem, ProblemKind, display_path, one_line

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MappingFindings", "check_mappings"]


@dataclass
class MappingFindings:
    """What the mapping check found.

    Attributes:
        files: How many mapping files the root has.
        entries: How many entries the valid ones hold.
        problems: Every problem, in no particular order.
    """

    files: int = 0
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)


class _Dangling(NamedTuple):
    file: Path
    old: str
    new: str
    old_path: Path
    new_path: Path


def check_mappings(root: Path) -> MappingFindings:
    """Check every migration mapping of a root.

    Args:
        root: The output root (absolute).

    Returns:
        The problems and what was looked at.
    """
    findings = MappingFindings()
    dangling: list[_Dangling] = []
    readable: list[MigrationMapping] = []
    files = mapping_files(root)
    for file in files:
        findings.files += 1
        try:
            mapping = read_mapping(file)
        except (MigrationMappingInvalidError, MigrationMappingVersionError) as exc:
            findings.problems.append(_invalid(root, file, one_line(str(exc))))
            continue
        except OSError as exc:
            findings.problems.append(
                _invalid(
                    root, file, f"the mapping cannot be read ({exc.strerror}). Make it readable"
                )
            )
            continue
        readable.append(mapping)
        findings.entries += len(mapping.entries)
        for old, new in mapping.entries.items():
            new_path = mapping.path_of(new, root=root)
            if not new_path.exists():
                old_path = mapping.path_of(old, root=root)
                dangling.append(_Dangling(file, old, new, old_path, new_path))
    if dangling:
        # An invalid mapping is reported on its own; without the merged view,
        # each entry is judged by its own target alone.
        whole = len(readable) == len(files)
        merged = merge_mappings(readable, root=root) if whole else {}
        findings.problems.extend(
            _target_missing(root, entry) for entry in dangling if not _is_carried(entry, merged)
        )
    return findings


def _is_carried(entry: _Dangling, merged: dict[Path, Path]) -> bool:
    """Whether a later migration moved the entry's target (or its old path) somewhere real."""
    final = merged.get(entry.old_path)
    return final is not None and final != entry.new_path and final.exists()


def _invalid(root: Path, file: Path, message: str) -> Problem:
    return Problem.of(ProblemKind.MAPPING_INVALID, display_path(root, file), message)


def _target_missing(root: Path, entry: _Dangling) -> Problem:
    return Problem.of(
        ProblemKind.MAPPING_TARGET_MISSING,
        display_path(root, entry.file),
        f"entry {entry.old!r} -> {entry.new!r} points at nothing: "
        f"{display_path(root, entry.new_path)!r} does not exist. Restore it there from a backup; "
        "if it was deleted on purpose, the old path no longer translates to anything",
    )
