import subprocess
import sys

import pytest

import ocr
from ocr._lazy import lazy_exports
from ocr.layout import _hydra


def test_package_names_load_on_first_use_when_read() -> None:
    assert ocr.RunLayout.__module__ == "ocr.layout._paths"
    assert ocr.OcrError.__name__ == "OcrError"
    assert set(ocr.__all__) <= set(dir(ocr))


def test_layout_hydra_helpers_load_on_first_use_when_read() -> None:
    from ocr import layout

    assert layout.register_resolvers is _hydra.register_resolvers
    assert "packaged_config_dir" in dir(layout)


def test_unknown_name_is_an_attribute_error_when_read() -> None:
    getattr_, _ = lazy_exports("ocr", {})
    with pytest.raises(AttributeError) as caught:
        getattr_("nothing")
    assert str(caught.value) == "module 'ocr' has no attribute 'nothing'"


@pytest.mark.parametrize(
    "module",
    [
        pytest.param("ocr.cli", id="the-command-line"),
        pytest.param("ocr", id="the-package"),
        pytest.param("ocr.layout", id="the-layout"),
    ],
)
def test_import_loads_no_heavy_dependency_when_a_command_starts(module: str) -> None:
    # Every `ocr` call pays its imports; the parser (ocr --help) needs none of these.
    probe = (
        f"import sys, {module}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pydantic', 'omegaconf', 'hydra', 'yaml', 'filelock', 'torch', 'lightning'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
