"""Every error ocr raises on purpose: ``OcrError`` and its subclasses.

Each error states its cause, names the offending path or value, and ends with
the fix as an imperative sentence, so ``str(err)`` is the one line the command
line prints. Each also subclasses the matching builtin, so callers may catch
either, and each pickles (errors cross launcher and DDP processes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "AblationKeyError",
    "AblationOptionError",
    "AblationSelectionError",
    "AblationTypeError",
    "AdoptionError",
    "CallbackConfigError",
    "CatalogQueryError",
    "CheckpointLoadError",
    "ConfigDirNotFoundError",
    "ExtraNotInstalledError",
    "ImageReadError",
    "InputPathError",
    "LaunchDirAllocationError",
    "LegacyPathNotMappedError",
    "LegacySidecarInvalidError",
    "LegacySupportDisabledError",
    "LockTimeoutError",
    "MetadataInvalidError",
    "MetadataVersionError",
    "MigrationBusyError",
    "MigrationConfinementError",
    "MigrationConflictError",
    "MigrationCopyError",
    "MigrationMappingInvalidError",
    "MigrationMappingVersionError",
    "MigrationPermissionError",
    "MigrationPlanInvalidError",
    "MigrationPlanVersionError",
    "MigrationStateError",
    "MigrationStepError",
    "ModelBuildError",
    "OcrError",
    "RecordInvalidError",
    "RecordNotFoundError",
    "RegistryTransitionError",
    "RunPathParseError",
    "TrainingDataError",
    "UiLaunchError",
    "UnknownComponentError",
    "UnsafeFileError",
    "UsageConflictError",
    "ocr_error_in",
]

_CHAIN_DEPTH: Final = 8  # causes followed at most (a chain can loop through __context__)


class OcrError(Exception):
    """Base class of every error raised on purpose by ocr.

    Args:
        cause: What went wrong, naming the path or value (quote input with ``!r``).
        fix: What to do about it, as an imperative sentence.
        path: The file or folder involved, if any.
        value: The offending value, if any.
    """

    def __init__(
        self, cause: str, *, fix: str, path: Path | None = None, value: object = None
    ) -> None:
        # One argument, the whole line: tools that print repr(err) or err.args
        # (Hydra does) show the message as the command line would.
        super().__init__(f"{cause}. {fix}")
        self.cause = cause
        self.fix = fix
        self.path = path
        self.value = value

    def __str__(self) -> str:
        return f"{self.cause}. {self.fix}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles ``args`` only; keyword attributes would be lost
        # across process boundaries without this.
        return (_rebuild, (type(self), self.cause, self.fix, self.__dict__))


def _rebuild(cls: type[OcrError], cause: str, fix: str, state: dict[str, object]) -> OcrError:
    error = cls.__new__(cls)
    OcrError.__init__(error, cause, fix=fix)
    error.__dict__.update(state)
    return error


class RunPathParseError(OcrError, ValueError):
    """A path is not an ocr run, sweep or sweep-job folder."""


class LaunchDirAllocationError(OcrError, OSError):
    """No run directory could be created under the output root."""


class ConfigDirNotFoundError(OcrError, FileNotFoundError):
    """The packaged Hydra configs cannot be found."""


class UnknownComponentError(OcrError, ValueError):
    """A model component name (encoder, decoder, head, architecture) is unknown."""


class TrainingDataError(OcrError, ValueError):
    """Training data (annotations or images) is missing or malformed."""


class MetadataInvalidError(OcrError, ValueError):
    """A checkpoint sidecar is not valid JSON or breaks the schema."""


class MetadataVersionError(OcrError, ValueError):
    """A checkpoint sidecar was written by a newer ocr."""


class CallbackConfigError(OcrError, ValueError):
    """A Lightning callback of ocr was configured wrongly (e.g. against the run layout)."""


class AdoptionError(OcrError, ValueError):
    """A Hydra launch cannot be put into ocr's layout as it is configured.

    A launch folder fixed on the command line, two ModelCheckpoints, a
    checkpoint folder outside the run, ...
    """


class LockTimeoutError(OcrError, TimeoutError):
    """One of ocr's locks (a registry, catalog or migration lock) could not be taken in time."""


RegistryLockTimeoutError = LockTimeoutError
"""The former name of :class:`LockTimeoutError`, kept so that old ``except`` clauses still work."""


class UsageConflictError(OcrError, ValueError):
    """Command-line arguments that do not go together (options, or how many paths)."""


class RegistryTransitionError(OcrError, ValueError):
    """An experiment's status cannot move that way (e.g. completed -> running)."""


class RecordNotFoundError(OcrError, LookupError):
    """No experiment record matches an ID or folder."""


class RecordInvalidError(OcrError, ValueError):
    """An experiment record (run.json) or index is not valid."""


class InputPathError(OcrError, FileNotFoundError):
    """A path given on the command line is missing or of the wrong kind."""


class LegacySidecarInvalidError(OcrError, ValueError):
    """A legacy checkpoint sidecar (``.metadata.json``/``.metadata.yaml``) cannot be read."""


class LegacyPathNotMappedError(OcrError, LookupError):
    """No migration mapping names a legacy path."""


class LegacySupportDisabledError(OcrError, RuntimeError):
    """Legacy support is switched off (``OCR_LEGACY=0``) and a legacy path was asked for."""


class MigrationMappingInvalidError(OcrError, ValueError):
    """A migration mapping file (``mapping.json``) is not valid JSON or breaks the schema."""


class MigrationMappingVersionError(OcrError, ValueError):
    """A migration mapping file was written by a newer ocr."""


class MigrationPlanInvalidError(OcrError, ValueError):
    """A migration's plan (``plan.json``) is not JSON or breaks the schema (cut short, edited)."""


class MigrationPlanVersionError(OcrError, ValueError):
    """A migration's plan was written by a newer ocr."""


class CatalogQueryError(OcrError, ValueError):
    """A catalog query (``--where`` expression, ``best(...)`` or key) cannot be parsed."""


class MigrationBusyError(OcrError, RuntimeError):
    """Another migration is applying to (or rolling back) the same tree."""


class MigrationStateError(OcrError, RuntimeError):
    """A migration cannot do what was asked in the state it is in (nothing to roll back, ...)."""


class MigrationConflictError(OcrError, FileExistsError):
    """A migration step found something in its way it did not plan for."""


class MigrationConfinementError(OcrError, PermissionError):
    """A migration step would write outside the folders it was given, or through a link."""


class MigrationCopyError(OcrError, OSError):
    """A copied file's size or SHA-256 differs from its source; the source was kept."""


class ModelBuildError(OcrError, RuntimeError):
    """A checkpoint's model cannot be built here (its code or its run config is missing)."""


class CheckpointLoadError(OcrError, ValueError):
    """A checkpoint's weights cannot be loaded for inference (gone, corrupt, refused, unfit)."""


class ImageReadError(OcrError, ValueError):
    """An image given to the UI is not a readable PNG or JPEG, or is too large."""


class UiLaunchError(OcrError, OSError):
    """``ocr ui`` cannot start its server (Streamlit missing, port taken, start-up failed)."""


class MigrationPermissionError(OcrError, PermissionError):
    """A migration (or rollback) would need to change a folder the user may not change."""


class MigrationStepError(OcrError, OSError):
    """A migration step failed on the filesystem; the journal lets it resume or roll back."""


class UnsafeFileError(OcrError, OSError):
    """A file ocr was to read is no regular file, too large, or reached through a link out.

    It is an ``OSError``, so every reader that reports an unreadable file
    reports this one too; ``strerror`` is the short reason (``a FIFO, not a
    regular file``), as an ``OSError``'s is (``Permission denied``).
    """

    def __init__(
        self,
        cause: str,
        *,
        fix: str,
        path: Path | None = None,
        value: object = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(cause, fix=fix, path=path, value=value)
        self.reason = reason or cause

    @property
    def strerror(self) -> str:  # type: ignore[override]
        """The short reason, as an ``OSError``'s text."""
        return self.reason


def ocr_error_in(error: BaseException) -> OcrError | None:
    """The OcrError an exception is, or was raised from (or while handling).

    Hydra and OmegaConf wrap what a resolver raises (``InterpolationResolutionError``
    from a ``LaunchDirAllocationError``): the cause decides whether it is bad
    input (one line) or a bug (a traceback).

    Args:
        error: The exception caught.

    Returns:
        The first OcrError in its chain, or ``None``.
    """
    seen: BaseException | None = error
    for _ in range(_CHAIN_DEPTH):
        if seen is None or isinstance(seen, OcrError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class AblationSelectionError(OcrError, LookupError):
    """An ablation selected no runs, or its ``--sweep`` names no sweep (or several)."""


class AblationKeyError(OcrError, LookupError):
    """An ablation was asked for a config key, metric or baseline group that no selected run has."""


class AblationOptionError(OcrError, ValueError):
    """An ``ocr ablation`` option's value is malformed (``--by``, ``--baseline``, ``--plot``)."""


class AblationTypeError(OcrError, TypeError):
    """The selected runs' configs disagree on the type of a factor's value (``8`` and ``'8'``)."""


class ExtraNotInstalledError(OcrError, RuntimeError):
    """A command needs an optional extra of ocr (e.g. ``ocr[ablation]``) that is not installed.

    Not an ``ImportError``: that one's own ``path`` attribute would shadow ours.
    """
