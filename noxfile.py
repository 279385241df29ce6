"""Every way to work on ocr: tests, lint, typecheck, demo, benchmarks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)
CONSTRAINTS = ("-c", "constraints.txt")
REPO = Path(__file__).parent
SAMPLE_GENERATOR = REPO / "fixtures" / "make_legacy_sample.py"
FUZZ_EXAMPLES = "100"  # trees for `nox -s fuzz` (about 11 s each here); the default suite draws 3


def _install(session: nox.Session, extras: str) -> None:
    session.install("-e", f".[{extras}]", *CONSTRAINTS)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit and integration tests with branch coverage of src/ocr (>= 90%)."""
    _install(session, "test")
    session.run("pytest", "--cov", "--durations=10", *session.posargs)


@nox.session(python=PYTHONS, default=False)
def property(session: nox.Session) -> None:
    """Property tests with many more generated examples, and a kill at every migration step."""
    _install(session, "test")
    session.run(
        "pytest",
        "-m",
        "not perf",
        "tests/unit",
        "tests/integration/test_migrate_crash.py",
        env={"HYPOTHESIS_PROFILE": "thorough"},
    )


@nox.session(python=PYTHONS, default=False)
def fuzz(session: nox.Session) -> None:
    """Every command against many hostile legacy trees: no traceback, no hang, no byte lost."""
    _install(session, "test")
    session.run(
        "pytest",
        "tests/integration/test_fuzz.py",
        *session.posargs,
        env={"OCR_FUZZ_EXAMPLES": FUZZ_EXAMPLES},
    )


@nox.session(python=PYTHONS, default=False)
def perf(session: nox.Session) -> None:
    """Benchmarks and speed/learning gates (pytest-benchmark)."""
    _install(session, "test")
    session.run(
        "pytest",
        "-m",
        "perf",
        "tests/perf",
        "--benchmark-columns=min,mean,max,rounds",
        *session.posargs,
    )


@nox.session(python=PYTHONS, default=False)
def scale(session: nox.Session) -> None:
    """100,000 checkpoints: the catalog's gates and every command beside its floor (minutes; not in CI)."""
    _install(session, "test")
    session.run("pytest", "-m", "scale", "tests/perf/test_scale.py", "-s", *session.posargs)


@nox.session(python=PYTHONS, default=False)
def docs(session: nox.Session) -> None:
    """Build the site strictly (build/site/) and run the tested pages' blocks (-- --update)."""
    _install(session, "docs")
    session.run("python", "-m", "docgen", "check")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.log(f"the site is in {REPO / 'build' / 'site'}")
    session.run("python", "-m", "docgen", "run-pages", *session.posargs)


@nox.session(python=PYTHONS, default=False)
def ui(session: nox.Session) -> None:
    """The app in a real browser: Playwright drives Debian's Chromium against `ocr ui` on a demo tree."""
    _install(session, "test")
    # The pip package brings Playwright's driver only; the browser is Debian's
    # chromium-headless-shell (or chromium), never `playwright install`'s download.
    session.install("playwright==1.65.3")
    screenshots = Path(session.create_tmp()) / "screenshots"
    session.run(
        "pytest",
        "-m",
        "browser",
        "tests/browser",
        *session.posargs,
        env={"OCR_UI_SCREENSHOTS": str(screenshots)},
    )
    session.log(f"screenshots of the browser test: {screenshots}")


@nox.session(python=PYTHONS)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("-e", ".[lint]", *CONSTRAINTS, "--no-deps")
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS)
def typecheck(session: nox.Session) -> None:
    """Mypy, strict, over src and tests."""
    _install(session, "typecheck")
    session.install("nox")
    session.run("mypy")


@nox.session(python=PYTHONS)
def demo(session: nox.Session) -> None:
    """The main job: train a model and sweeps in a fresh folder, show what went where, compare widths."""
    _install(session, "train,launchers,ablation")
    workdir = Path(tempfile.mkdtemp(prefix="ocr-demo-"))
    session.chdir(workdir)
    session.log(f"demo folder: {workdir}")
    # The team's legacy runs (the committed sample: every era, name and sidecar
    # shape) sit in outputs/, multirun/ and wandb/ before anything is trained.
    session.run("python", str(SAMPLE_GENERATOR), str(workdir))
    (workdir / "README.md").unlink()  # the sample's own description, not part of the tree
    session.run("ocr-train")
    session.run(
        "ocr-train",
        "--multirun",
        "hydra/launcher=joblib",
        "model.encoder=tiny_cnn,tiny_resnet",
        "trainer.max_epochs=2",
    )
    session.run("ocr", "migrate", "plan", "outputs")
    session.run("ocr", "migrate", "apply", "outputs")
    session.run("ocr", "validate", "outputs")
    session.run("python", "-c", _SHOW_TREE)
    session.run("ocr", "registry", "list", "outputs")
    session.run("ocr", "catalog", "outputs", "--sort", "val/hmean")
    session.run(
        "ocr", "catalog", "outputs", "--where", "metrics.val/hmean > 0.9 and is_best = true"
    )
    _ablation(session, workdir)
    session.log(f"everything above is in {workdir}")


def _ablation(session: nox.Session, workdir: Path) -> None:
    """A short ablation on hard receipts: two widths, two seeds each, its table and its plot."""
    session.run(
        "ocr-train",
        "--multirun",
        "hydra/launcher=joblib",
        "data=synthetic_hard",
        "model.width=4,16",
        "seed=0,1",
        "experiment.tags=[width-ablation]",
    )
    plot = workdir / "ablation.png"
    session.run("ocr", "ablation", "outputs", "--tag", "width-ablation", "--plot", str(plot))
    session.log(f"the ablation's plot is {plot}")


@nox.session(python=PYTHONS, name="migrate-sample", default=False)
def migrate_sample(session: nox.Session) -> None:
    """Migrate the committed legacy sample and back: plan, apply, validate, report, rollback, compare."""
    _install(session, "test")
    workdir = Path(tempfile.mkdtemp(prefix="ocr-migrate-sample-"))
    sample, picture = workdir / "sample", workdir / "before.json"
    session.run("python", str(SAMPLE_GENERATOR), str(sample))
    snapshot = ("python", "-m", "tests.tree_snapshot")
    session.run(*snapshot, "same-bytes", str(REPO / "fixtures" / "legacy_sample"), str(sample))
    session.run(*snapshot, "save", str(sample), str(picture))
    root = str(sample / "outputs")
    session.run("ocr", "migrate", "plan", root)
    session.run("ocr", "migrate", "apply", root, "--format", "markdown")
    session.run("ocr", "validate", root, "--report", str(workdir / "validation.md"))
    session.run("ocr", "catalog", root)
    session.run("ocr", "migrate", "status", root)
    session.run("ocr", "migrate", "rollback", root)
    session.run(*snapshot, "check", str(sample), str(picture))
    session.run(*snapshot, "same-bytes", str(REPO / "fixtures" / "legacy_sample"), str(sample))
    session.log(f"the sample, migrated and rolled back, is in {sample}")


_SHOW_TREE = """
from pathlib import Path
root = Path('outputs')
for path in sorted(root.rglob('*')):
    if '.ocr' in path.parts or path.name.endswith('.lock'):
        continue
    depth = len(path.relative_to(root).parts) - 1
    print('  ' * depth + path.name + ('/' if path.is_dir() else ''))
leftover = sorted(str(p) for top in ('multirun', 'wandb') for p in Path(top).rglob('*'))
stray = sorted(p.name for p in Path('.').iterdir() if p.name not in ('outputs', 'multirun', 'wandb'))
print('left in the legacy multirun/ and wandb/ folders:', leftover or 'nothing')
print('files outside outputs/:', stray or 'none')
"""
