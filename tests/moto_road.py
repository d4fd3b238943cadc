"""The moto road the tests open (devtools/moto_road.py's, with checkpoints), laid once per worker and restored for
each test; a pytest plugin of tests/conftest.py, so every folder may use its fixtures."""

from __future__ import annotations

import contextlib
import copy
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from moto import mock_aws
from promote_model.sessions import forget_own_sessions

from devtools import speedups
from devtools.moto_accounts import approval_event
from devtools.moto_road import APPROVERS, Evidence, MotoRoad
from devtools.patched.moto import MotoState, forget
from devtools.synth import Synth
from devtools.variants import governed, somewhere_else, with_second_project, written
from model_code.registration import ENTRY_POINT
from roadway.config import RoadwayConfig, StageName
from tests.synths import shared_synth

T = TypeVar("T")
GROUP = "house-price"  # the road's first project (somewhere_else keeps the projects, moves the road)


@pytest.fixture(scope="session")
def moto_config(config: RoadwayConfig) -> RoadwayConfig:
    """The road the moto tests run: another adopter's name, region and accounts than config/roadway.yaml, so a
    name spelled outside roadway/naming.py fails here. Ana García, an author, approves too: the insider the
    four-eyes check must hold against."""
    moved = governed(somewhere_else(config))
    identity = moved.identity.model_copy(update={"approver_names": [*moved.identity.approver_names, "ana-garcia"]})
    return moved.model_copy(update={"identity": identity})


@pytest.fixture(scope="session")
def moto_synth(moto_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return shared_synth(moto_config, tmp_path_factory, compliance=False)


@pytest.fixture(scope="session")
def two_projects_moto_config(moto_config: RoadwayConfig) -> RoadwayConfig:
    return with_second_project(moto_config)


@pytest.fixture(scope="session")
def two_projects_moto_synth(two_projects_moto_config: RoadwayConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return shared_synth(two_projects_moto_config, tmp_path_factory, compliance=False)


class Road(MotoRoad):
    """The moto road a test opens (devtools/moto_road.py), with checkpoints, registering as most tests want: an
    approved, sealed package of made-up evidence."""

    def __init__(self, laid: MotoRoad, synth: Synth, monkeypatch: pytest.MonkeyPatch, key: RoadKey) -> None:
        super().__init__(
            laid.config,
            synth.templates,
            dict(laid.sessions),
            dict(laid.buckets),
            {stage: dict(outputs) for stage, outputs in laid.deployed.items()},
            monkeypatch.setenv,
        )
        self.synth, self.monkeypatch, self.key = synth, monkeypatch, key

    @property
    def config_path(self) -> Path:
        """The road's config as the operator's file, for the CLI (one file per config and worker)."""
        key = self.config.model_dump_json()
        if key not in CONFIG_FILES:
            CONFIG_FILES[key] = written(self.config, Path(tempfile.mkdtemp(prefix="road-")) / "road.yaml")
        return CONFIG_FILES[key]

    def checkpoint(self, name: str, build: Callable[[], T]) -> T:
        """What ``build`` does to this freshly opened road, done once per worker: a later test restores moto as
        ``build`` left it, and acts as the function it last acted as, instead of doing it again. ``build`` may
        change moto and whom the test acts as, nothing else. With ROADWAY_TEST_SPEEDUPS=0, built every time."""
        key = (*self.key, name)
        if not speedups.enabled():
            return build()
        if key not in CHECKPOINTS:
            result = build()
            CHECKPOINTS[key] = (MotoState(), copy.deepcopy(result), self.acting)
        else:
            state, result, acting = CHECKPOINTS[key]
            state.restore()
            if acting is not None:
                self.act_as(acting[0], **acting[1])  # type: ignore[arg-type]
        return copy.deepcopy(result)

    def register(
        self,
        stage: StageName,
        evidence: Evidence | None = None,
        *,
        approved: bool = True,
        sealed: bool = True,
        approver: str | None = None,
        model_size: int = 2048,
        rmse_log: float | None = 0.11,
        code: str | None = ENTRY_POINT,
        **kwargs: Any,
    ) -> str:
        """:meth:`MotoRoad.register` of :meth:`Evidence.made` (``model_size``, ``rmse_log``, ``code``), then, unless
        told otherwise, sealed by the stage's function and approved by ``approver`` (default: the stage's usual
        one, recorded as the approver role's session)."""
        made = evidence or Evidence.made(model_size=model_size, rmse_log=rmse_log, code=code)
        arn = super().register(stage, made, **kwargs)
        if sealed:
            self.seal(stage, arn)
        if approved:
            self.decide(stage, arn, "Approved", approver or APPROVERS[stage], self.names.approver_role(stage))
        return arn

    def serve_in_prod(self, run: str) -> str:
        """Register ``run`` in dev, promote it to test, approve it there, promote it to prod: the prod package."""
        source = self.register("dev", run=run)
        self.act_as("test")
        in_test = self.deliver("test", approval_event(source))["target_arn"]
        self.approve("test", in_test)
        outcome = self.deliver("prod", approval_event(in_test))
        assert outcome["status"] == "promoted", outcome
        self.act_as("prod")
        return str(outcome["target_arn"])


@dataclass(frozen=True)
class Laid:
    """A road as deployed, and moto as it left it: what each test's ``Road`` starts from."""

    road: MotoRoad
    state: MotoState | None  # None with the speed-ups off: laid again for every test
    synth: Synth  # held, so that the id in the key is never reused by another synth


RoadKey = tuple[str, int, tuple[str, ...]]
ROADS: dict[RoadKey, Laid] = {}
# Road.config_path's files, removed when the session ends.
CONFIG_FILES: dict[str, Path] = {}
# Road.checkpoint's: moto as a build left it, what the build returned, whom the test acted as last.
CHECKPOINTS: dict[tuple[Any, ...], tuple[MotoState, Any, tuple[str, dict[str, str]] | None]] = {}


@contextlib.contextmanager
def open_road(
    config: RoadwayConfig, synth: Synth, monkeypatch: pytest.MonkeyPatch, groups: tuple[str, ...] | None = None
) -> Iterator[Road]:
    """Three moto accounts with ``synth``'s real serving stacks of ``groups`` (projects of ``config``; default its
    first) in test and prod, a group per project in each account, and the promotion ledgers: laid by the first
    test of a worker that opens this road, restored as laid for every later one (laid every time with the
    speed-ups off)."""
    groups = groups or (config.projects[0].name,)
    monkeypatch.setenv("AWS_DEFAULT_REGION", config.region)
    key = (config.model_dump_json(), id(synth), groups)
    forget_own_sessions()  # each test starts the functions in a new execution environment
    fast = speedups.enabled()
    with mock_aws():
        if key in ROADS and fast:
            state = ROADS[key].state
            assert state is not None
            state.restore()
        else:
            laid = MotoRoad.lay(config, synth.templates, groups, setenv=monkeypatch.setenv, stack_tags=synth.stack_tags)
            ROADS[key] = Laid(laid, MotoState() if fast else None, synth)
        try:
            yield Road(ROADS[key].road, synth, monkeypatch, key)
        finally:
            if fast:
                forget()
            forget_own_sessions()  # a client a test stubbed leaves with it


@pytest.fixture()
def road(moto_config: RoadwayConfig, moto_synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Road]:
    with open_road(moto_config, moto_synth, monkeypatch) as opened:
        yield opened


def pytest_unconfigure() -> None:
    """Free the kept moto states while Python can still run their finalizers (S3 closes its objects' buffers), and
    remove the config files written for the CLI."""
    CHECKPOINTS.clear()
    ROADS.clear()
    for written_file in CONFIG_FILES.values():
        shutil.rmtree(written_file.parent, ignore_errors=True)
    CONFIG_FILES.clear()
