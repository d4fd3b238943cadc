"""Shared fixtures: the real config, and the whole app synthesized once per session."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from aws_cdk import App  # noqa: E402

from devtools.demo import with_team_and_project  # noqa: E402
from devtools.moto_accounts import json_templates_first, share_client_classes, share_service_models  # noqa: E402
from roadway.config import RoadwayConfig, load_config  # noqa: E402
from stacks import identity_setup  # noqa: E402
from stacks.app import build_app, cli_context, conclude, templates_by_stack  # noqa: E402
from stacks.compliance.report import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "config" / "roadway.yaml"
# The moto road (three accounts, the real serving stacks, the ledgers) for every test folder that drives it.
pytest_plugins = ["tests.moto_road"]
share_service_models()  # botocore's models parsed once per worker, not once per session the tests make
share_client_classes()  # and each service's client class built once, not once per client
json_templates_first()  # moto reads the CDK's JSON templates as JSON, not through pure-Python YAML


@dataclass
class Synth:
    """One synthesized cloud assembly, indexed by CloudFormation stack name."""

    outdir: Path
    templates: dict[str, dict[str, Any]]
    report: dict[str, Any] | None

    def resources(self, stack: str, type_: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if type_ is None or resource["Type"] == type_
        }


def synthesize(
    config: RoadwayConfig,
    outdir: Path,
    *,
    compliance: bool = True,
    config_path: Path = CONFIG_PATH,
    stage_assets: bool = False,
) -> Synth:
    """As `make synth` does, provenance included; ``config_path`` is what the provenance names. Assets are copied
    into the assembly only when ``stage_assets`` says so (the shipped road's ``synth``; stacks.app.cli_context)."""
    app = App(outdir=str(outdir), context=cli_context(stage_assets=stage_assets))
    build_app(app, config, compliance=compliance)
    assembly, verdict = conclude(app, config_path)
    assert assembly is not None and (verdict.passed or not compliance), verdict.line()
    identity_setup.write(outdir, config)
    templates = templates_by_stack(assembly)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report is not None:
        write_report(outdir)  # as `make synth` does, before any test (or the other worker) reads the assembly
    return Synth(outdir=outdir, templates=templates, report=report)


def shared_synth(
    config: RoadwayConfig,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    compliance: bool = True,
    stage_assets: bool = False,
) -> Synth:
    """One synth of each config per run, by whichever worker needs it first: the other waits for it and reads its
    assembly (xdist's workers share the run's base temporary folder). Without xdist, a synth of this session."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return synthesize(config, tmp_path_factory.mktemp("synth"), compliance=compliance, stage_assets=stage_assets)
    root = tmp_path_factory.getbasetemp().parent
    key = hashlib.sha256(f"{compliance}:{stage_assets}:{config.model_dump_json()}".encode()).hexdigest()[:16]
    outdir = root / f"synth-{key}"
    with (root / f"synth-{key}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        saved = outdir / "roadway-tests-synth.json"
        if saved.exists():
            read = json.loads(saved.read_text())
            return Synth(outdir=outdir, templates=read["templates"], report=read["report"])
        made = synthesize(config, outdir, compliance=compliance, stage_assets=stage_assets)
        saved.write_text(json.dumps({"templates": made.templates, "report": made.report}))
        return made


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


def with_engine(config: RoadwayConfig, engine: str) -> RoadwayConfig:
    """The config with prod's monitoring (of its first project) on ``engine``."""
    project = config.projects[0]
    prod = project.stages.prod
    assert prod.serving.monitoring is not None
    monitoring = prod.serving.monitoring.model_copy(update={"engine": engine})
    serving = prod.serving.model_copy(update={"monitoring": monitoring})
    stages = project.stages.model_copy(update={"prod": prod.model_copy(update={"serving": serving})})
    return config.model_copy(update={"projects": [project.model_copy(update={"stages": stages}), *config.projects[1:]]})


SECOND_TEAM_READER = (
    "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Retention_????????????????"
)


def team_repository(region: str) -> str:
    """The second team's CodeCommit repository, in the road's region (the only Git host Studio's subnets reach)."""
    return f"https://git-codecommit.{region}.amazonaws.com/v1/repos/retention-models"


TEAM_REPOSITORY = team_repository("eu-west-1")


def with_second_project(config: RoadwayConfig) -> RoadwayConfig:
    """The road with a second project, ``churn``, of a second team, ``retention`` (one member, chen-wei, and a
    code repository), as an adopter onboards them: entries added to the config, validated like the file."""
    team = {
        "name": "retention",
        "monthly_budget_usd": 300,
        "budget_emails": ["retention@example.com"],
        "code_repository": team_repository(config.region),
    }
    return with_team_and_project(
        config,
        team=team,
        member={"user_name": "chen-wei", "email": "chen.wei@example.com"},
        project="churn",
        prod_serving={"capture_readers": [SECOND_TEAM_READER]},
    )


@pytest.fixture(scope="session")
def two_projects_config(config: RoadwayConfig) -> RoadwayConfig:
    return with_second_project(config)


@pytest.fixture(scope="session")
def two_projects_synth(two_projects_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The road with two projects of two teams, compliance gate included: onboarding adds no finding."""
    return shared_synth(two_projects_config, tmp_path_factory)


@pytest.fixture(scope="session")
def model_monitor_config(config: RoadwayConfig) -> RoadwayConfig:
    return with_engine(config, "model-monitor")


@pytest.fixture(scope="session")
def model_monitor_synth(model_monitor_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The app for an account that has Model Monitor (``engine: model-monitor``), compliance gate included."""
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
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    gc.freeze()  # the interpreter's last collection at exit has nothing to find that matters
