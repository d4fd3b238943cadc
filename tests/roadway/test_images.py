"""roadway/images.py is the SageMaker SDK's public registry data, copied so synth needs no SDK: held equal here,
where the pinned SDK is installed, so an SDK upgrade that adds or moves a registry fails until it is copied."""

from __future__ import annotations

import json
from importlib import util
from pathlib import Path

from roadway.images import ANALYZER_REGISTRIES, SKLEARN_REGISTRIES


def sdk_registries(name: str) -> list[dict[str, str]]:
    """Every registries map of one image_uri_config file of the pinned SDK (per version and scope)."""
    spec = util.find_spec("sagemaker")  # found, not imported: the SDK takes seconds to import
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "core" / "image_uri_config"
    config = json.loads((folder / f"{name}.json").read_text())
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("registries"), dict):
                found.append(node["registries"])
            for value in node.values():
                walk(value)

    walk(config)
    return found


def test_the_analyzer_registries_are_every_region_the_sdk_lists() -> None:
    (registries,) = sdk_registries("model-monitor")
    assert registries == ANALYZER_REGISTRIES


def test_the_scikit_learn_registries_are_the_sdks_for_every_region_they_name() -> None:
    """Every scikit-learn version and scope of the SDK uses one account per region; Roadway lists those regions."""
    every = sdk_registries("sklearn")
    assert every
    for registries in every:
        for region, account in SKLEARN_REGISTRIES.items():
            assert registries.get(region, account) == account, region
