from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.errors import MetadataInvalidError
from ocr.recipe import config_hash, hash_saved_config
from tests.strategies import recipes

if TYPE_CHECKING:
    from pathlib import Path


@given(recipes, st.text(max_size=30), st.text(max_size=30))
def test_config_hash_ignores_paths_and_hydra_when_the_recipe_is_the_same(
    recipe: dict[str, Any], where: str, when: str
) -> None:
    placed = {**recipe, "paths": {"run_dir": where}, "hydra": {"runtime": {"cwd": when}}}
    assert config_hash(placed) == config_hash(recipe)
    assert config_hash(dict(reversed(list(recipe.items())))) == config_hash(recipe)


@given(recipes, st.data())
def test_config_hash_changes_when_any_hyper_parameter_changes(
    recipe: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(recipe)))
    changed = {**recipe, key: [recipe[key], "changed"]}
    assert config_hash(changed) != config_hash(recipe)


def test_saved_config_hash_matches_the_live_hash_when_read_back(tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        "model:\n  width: 8\n  lr: ${optim.lr}\noptim:\n  lr: 0.01\n"
        "paths:\n  run_dir: /somewhere\nname: ${paths.run_dir}\nstamp: ${now:%H}\n"
    )
    live = {
        "model": {"width": 8, "lr": 0.01},
        "optim": {"lr": 0.01},
        "name": "${paths.run_dir}",
        "stamp": "${now:%H}",
    }
    assert hash_saved_config(config_file) == config_hash(live)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        pytest.param("a: [1, 2\n", "is not valid YAML", id="bad-yaml"),
        pytest.param("- 1\n- 2\n", "is not a mapping", id="a-list"),
    ],
)
def test_saved_config_hash_refuses_when_the_file_is_not_a_mapping(
    content: str, why: str, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(content)
    with pytest.raises(MetadataInvalidError, match=why):
        hash_saved_config(config_file)
