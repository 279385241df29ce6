"""Config hashes: does the hash a sidecar or record claims match its run's saved config?

Hashing a saved config costs tens of milliseconds (OmegaConf), so each run
folder's config is read and hashed once, and configs with identical text
(every run of one recipe) share one hash (:func:`ocr.recipe.hash_config_text`
caches by text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ocr._reading import METADATA_LIMIT, read_capped, real_folders
from ocr.errors import MetadataInvalidError
from ocr.layout import RunLayout
from ocr.recipe import hash_config_text
from ocr.validate._report import Problem, ProblemKind, display_path, one_line

__all__ = ["ConfigHashes", "HashClaim"]


@dataclass(frozen=True)
class HashClaim:
    """A config hash written in a file (a sidecar or a record) about a run.

    Attributes:
        owner: The file that claims the hash (a path string, as the walk spells it).
        config_hash: The hash it claims.
        run_dir: The run folder the claim is about (a path string); ``None``
            when no run folder could be found for it.
    """

    owner: str
    config_hash: str
    run_dir: str | None


@dataclass
class ConfigHashes:
    """Checks hash claims against saved configs, hashing each config once.

    Args:
        root: The output root (for the paths in problems).
    """

    root: Path
    _by_run: dict[str, tuple[Path, str, str | None]] = field(default_factory=dict)
    _unreadable: dict[Path, Problem] = field(default_factory=dict)

    def check(self, claims: list[HashClaim]) -> list[Problem]:
        """Compare every claim with its run's saved config.

        Args:
            claims: The claims.

        Returns:
            A problem per claim that does not hold (a different hash, or no
            saved config), and one per saved config that cannot be hashed
            (its claims are not judged).
        """
        problems = [found for claim in claims if (found := self._check_one(claim)) is not None]
        return [*self._unreadable.values(), *problems]

    def _check_one(self, claim: HashClaim) -> Problem | None:
        claimed = claim.config_hash[:12]
        if claim.run_dir is None:
            return Problem.of(
                ProblemKind.CONFIG_MISSING,
                display_path(self.root, claim.owner),
                f"config_hash {claimed}... cannot be checked: the file is in no run folder. "
                "Move it into its run folder, or remove its config_hash",
            )
        if claim.run_dir not in self._by_run:
            config_file = RunLayout(Path(claim.run_dir)).config_file
            shown = repr(display_path(self.root, config_file))
            self._by_run[claim.run_dir] = (config_file, shown, self._hash(config_file))
        config_file, shown, actual = self._by_run[claim.run_dir]
        if actual == claim.config_hash or config_file in self._unreadable:
            return None
        if actual is None:
            return Problem.of(
                ProblemKind.CONFIG_MISSING,
                display_path(self.root, claim.owner),
                f"config_hash {claimed}... cannot be checked: the run has no saved config {shown}. "
                "Restore the run's saved config, or remove the config_hash",
            )
        return Problem.of(
            ProblemKind.CONFIG_HASH_MISMATCH,
            display_path(self.root, claim.owner),
            f"config_hash {claimed}... does not match the run's saved config {shown} (hash "
            f"{actual[:12]}...): the config changed after training. Restore the saved config the "
            "run trained with",
        )

    def _hash(self, config_file: Path) -> str | None:
        """The saved config's hash, or ``None`` when there is none or it cannot be hashed."""
        try:
            inside = real_folders([self.root])
            text = read_capped(config_file, limit=METADATA_LIMIT, inside=inside).decode("utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            self._unreadable_config(config_file, "is not UTF-8 text")
            return None
        except OSError as exc:
            self._unreadable_config(config_file, f"cannot be read ({exc.strerror})")
            return None
        try:
            return hash_config_text(text, origin=config_file)
        except MetadataInvalidError as exc:
            self._unreadable_config(config_file, f"cannot be hashed ({one_line(str(exc))})")
            return None

    def _unreadable_config(self, config_file: Path, why: str) -> None:
        self._unreadable[config_file] = Problem.of(
            ProblemKind.CONFIG_INVALID,
            display_path(self.root, config_file),
            f"the saved config {why}. Fix or restore it, so its run's config hashes can be checked",
        )
