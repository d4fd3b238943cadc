"""Shared fixtures: the real config and its variants, each synthesized once per run; the moto road's plugin; the
speed-ups (devtools/speedups.py says how to turn them off)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

import pytest

# Two workers on two cores: the numeric libraries' own thread pools (OpenMP, BLAS) would only fight the other
# worker for them (a 0.6 s gradient-boosting test took 11 s). Set before anything imports numpy.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# No test starts an instance: moto's 1,300 default AMIs per account and region would only be built, and copied
# with every restored moto road (tests/moto_road.py).
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from stacks.quiet_jsii import quiet_jsii

quiet_jsii(announce=False)  # as app.py does, before the CDK's Node process starts

from devtools import speedups  # noqa: E402
from devtools.synth import CONFIG_PATH, Synth  # noqa: E402
from devtools.variants import governed, with_engine, with_second_project  # noqa: E402
from roadway.config import RoadwayConfig, load_config  # noqa: E402
from tests.synths import shared_synth  # noqa: E402

# The moto road (three accounts, the real serving stacks, the ledgers) for every test folder that drives it.
pytest_plugins = ["tests.moto_road", "tests.model_code.trained"]
REFUSED: list[str] = []  # a switch set wrong, an upgraded library: said in one line at configure, no traceback
FAST = False  # the speed-ups are on (devtools/speedups.py)
try:
    from devtools.patched import Unpatchable, botocore, moto  # noqa: F401 (their version checks, at import)

    speedups.apply()  # botocore's models and client classes shared, moto's JSON read as JSON (ROADWAY_SPEEDUPS=0: none)
    FAST = speedups.enabled()
except (Unpatchable, ValueError) as refused:
    REFUSED.append(str(refused))


def pytest_configure(config: pytest.Config) -> None:
    if REFUSED:
        raise pytest.UsageError(REFUSED[0])


@pytest.fixture(scope="session")
def config() -> RoadwayConfig:
    return load_config(CONFIG_PATH)


@pytest.fixture(scope="session")
def synth(config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The app exactly as `make synth` builds it, compliance gate and staged assets included."""
    return shared_synth(config, tmp_path_factory, stage_assets=True)


@pytest.fixture(scope="session")
def synth_with(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[RoadwayConfig], Synth]:
    """Synthesize a variant config without the packs (for diffs between configs); each variant once per session."""
    made: dict[str, Synth] = {}

    def run(variant: RoadwayConfig) -> Synth:
        key = variant.model_dump_json()
        if key not in made:
            made[key] = shared_synth(variant, tmp_path_factory, compliance=False)
        return made[key]

    return run


@pytest.fixture(scope="session")
def two_projects_config(config: RoadwayConfig) -> RoadwayConfig:
    return with_second_project(config)


@pytest.fixture(scope="session")
def two_projects_synth(two_projects_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The road with two projects of two teams, compliance gate included: onboarding adds no finding."""
    return shared_synth(two_projects_config, tmp_path_factory)


@pytest.fixture(scope="session")
def model_monitor_config(config: RoadwayConfig) -> RoadwayConfig:
    """An established organization's road: an account that still has Model Monitor, and service control policies
    that demand a permissions boundary, a role path and the organization's tags (devtools/variants.py governed)."""
    return governed(with_engine(config, "model-monitor"))


@pytest.fixture(scope="session")
def model_monitor_synth(model_monitor_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The app for an account that has Model Monitor (``engine: model-monitor``) in a governed organization,
    compliance gate included: the governed road's open findings are counted here."""
    return shared_synth(model_monitor_config, tmp_path_factory)


# Started first, so that no worker is left running one of them alone at the end.
SLOW_FIRST = (
    "tests/devtools/test_demo.py::",
    "tests/stacks/test_provenance.py::test_roadways_own_code_uses_no_deprecated_cdk_api",
    "tests/model_code/test_serving_image.py::test_the_models_tests_pass_under_the_serving_images_libraries",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


# A worker's long-lived heap is large (the CDK's, botocore's and moto's modules, synthesized templates, moto
# roads): Python's full collections walked its 800,000 objects 23 times, 7 s of a worker's 60 s, and once more at
# exit, on the run's critical path (2 s). Measured with gc.callbacks; bench/README.md has the figures.
YOUNG_COLLECTION_EVERY = 50_000  # allocations (Python's default: 700)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is alive once the tests are collected (modules, mostly) lives to the end: no collection walks it."""
    if not FAST:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if FAST:
        gc.freeze()  # the interpreter's last collection at exit has nothing to find that matters
