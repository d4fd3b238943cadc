"""The moto road: three moto accounts, the real serving stacks of test and prod, the promotion ledgers, and
packages registered as the pipeline registers them (a pytest plugin of tests/conftest.py: every folder may use it)."""

from __future__ import annotations

import contextlib
import copy
import copyreg
import csv
import functools
import gzip
import io
import json
import random
import shutil
import sys
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from drift_monitor import profile
from moto import mock_aws
from promote_model.sessions import forget_own_sessions

from devtools.demo import somewhere_else, written
from devtools.moto_accounts import (
    approval_event,
    deploy_promotion,
    deploy_serving,
    function_environment,
    record_identities,
    record_run,
    role_session,
    session_in,
    studio_user,
)
from model_code.registration import CONTAINER_ENVIRONMENT, ENTRY_POINT
from roadway.config import RoadwayConfig
from roadway.images import SKLEARN_REGISTRIES
from roadway.naming import ModelNames, Names
from tests.conftest import Synth, shared_synth, with_second_project

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
GROUP = "house-price"  # the road's first project (somewhere_else keeps the projects, moves the road)
APPROVERS = {"dev": "maria-lopez", "test": "li-wei"}  # identity.people of config/roadway.yaml: who approves by default


@pytest.fixture(scope="session")
def moto_config(config: RoadwayConfig) -> RoadwayConfig:
    """The road the moto tests run: another adopter's name, region and accounts than config/roadway.yaml, so a
    name spelled outside roadway/naming.py fails here. Ana García, an author, approves too: the insider the
    four-eyes check must hold against."""
    moved = somewhere_else(config)
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


def model_of(config: RoadwayConfig, group: str) -> ModelNames:
    """The names of the road's project ``group`` (its pipeline, roles, stacks)."""
    return Names.of(config).model(next(p for p in config.projects if p.name == group))


@dataclass
class Road:
    config: RoadwayConfig
    sessions: dict[str, boto3.session.Session]
    buckets: dict[str, str]
    deployed: dict[str, dict[str, str]]  # per stage: its ledger table and alarm topic
    synth: Synth
    monkeypatch: pytest.MonkeyPatch
    key: tuple[str, int, tuple[str, ...]] | None = None  # which deployed road this is (ROADS)

    @property
    def config_path(self) -> Path:
        """The road's config as the operator's file, for the CLI (one file per config and worker)."""
        key = self.config.model_dump_json()
        if key not in CONFIG_FILES:
            CONFIG_FILES[key] = written(self.config, Path(tempfile.mkdtemp(prefix="road-")) / "road.yaml")
        return CONFIG_FILES[key]

    @property
    def names(self) -> Names:
        return Names.of(self.config)

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def accounts(self) -> dict[str, str]:
        return {stage: self.config.stage(stage).account for stage in ("dev", "test", "prod")}  # type: ignore[arg-type]

    @property
    def image(self) -> str:
        """SageMaker's scikit-learn serving image of the road's region."""
        registry = SKLEARN_REGISTRIES[self.region]
        return f"{registry}.dkr.ecr.{self.region}.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"

    def model(self, group: str = GROUP) -> ModelNames:
        return model_of(self.config, group)

    def serving_stack(self, stage: str, group: str = GROUP) -> str:
        return self.model(group).serving_stack(stage)  # type: ignore[arg-type]

    def template(self, stage: str, kind: str = "promotion") -> dict[str, Any]:
        return self.synth.templates[self.names.stack_name(stage, kind)]  # type: ignore[arg-type]

    def checkpoint(self, name: str, build: Callable[[], T]) -> T:
        """What ``build`` does to this freshly opened road, done once per worker: a later test restores moto as
        ``build`` left it, and acts as the function it last acted as, instead of doing it again. ``build`` may
        change moto and whom the test acts as, nothing else."""
        assert self.key is not None, "a road opened by open_road"
        key = (*self.key, name)
        if key not in CHECKPOINTS:
            result = build()
            CHECKPOINTS[key] = (MotoState(), copy.deepcopy(result), getattr(self, "acting", None))
        else:
            state, result, acting = CHECKPOINTS[key]
            state.restore()
            if acting is not None:
                self.act_as(acting[0], **acting[1])
        return copy.deepcopy(result)

    def act_as(self, stage: str, **overrides: str) -> None:
        """Run the handler as the promotion function of ``stage`` would: its account, its environment. A
        package approved in dev is pulled by test's function (``act_as("test")``), one approved in test by prod's."""
        self.acting = (stage, overrides)
        credentials = self.sessions[stage].get_credentials()
        self.monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
        self.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
        self.monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)
        environment = function_environment(self.template(stage), self.deployed[stage])
        for key, value in {**environment, **overrides}.items():
            self.monkeypatch.setenv(key, value)

    def register(
        self,
        stage: str,
        *,
        approved: bool = True,
        model_size: int = 2048,
        rmse_log: float | None = 0.11,
        run: str = "run-1",
        author: str = "ana-garcia",
        approver: str | None = None,
        sealed: bool = True,
        environment: dict[str, str] | None = None,
        code: str | None = ENTRY_POINT,
        group: str = GROUP,
        created_by: dict[str, Any] | None = None,
        run_code: list[str] | None = None,
        run_started_by: str | None = None,
        pipeline_changed_by: str | None = None,
        **extra: Any,
    ) -> str:
        """A package as the pipeline registers it: model, metrics and a data-quality baseline in the stage's bucket,
        all in one run's folder of the project's evidence folder (``pipelines/<group>/<run>/`` in dev; on AWS only
        the project's pipeline jobs write there).

        ``rmse_log`` None registers metrics without it (what the gate must refuse). The container's environment
        is model_code/registration.py's unless ``environment`` is given; ``code`` is the file model.tar.gz
        carries under code/ (None: no code). ``created_by``: who SageMaker says registered it (default: the
        ``author``'s Studio profile). In dev the run is the project's pipeline's, as SageMaker records it: its code
        in the folders ``run_code`` names (default the author's own, ``<team>/<author>``), started by
        ``run_started_by`` and the pipeline last changed by ``pipeline_changed_by`` (both default the author).
        """
        s3 = self.sessions[stage].client("s3")
        bucket = self.buckets[stage]
        if stage == "dev":
            team = self.config.project_named(group).team
            model = self.model(group)
            record_run(
                self.sessions[stage],
                model.pipeline(),
                run,
                role_arn=self.names.role_arn(self.accounts[stage], model.pipeline_role()),
                code=[
                    f"s3://{bucket}/teams/{folder}/code/train.py"
                    for folder in (run_code if run_code is not None else [f"{team}/{author}"])
                ],
                started_by=studio_user(
                    f"arn:aws:sagemaker:{self.region}:{self.accounts[stage]}:x", run_started_by or author
                ),
                last_modified_by=studio_user(
                    f"arn:aws:sagemaker:{self.region}:{self.accounts[stage]}:x", pipeline_changed_by or author
                ),
            )
        # dev: the project's evidence folder, where its pipeline's jobs write (ModelNames.evidence_prefix).
        run = f"{group}/{run}" if stage == "dev" else run
        s3.put_object(Bucket=bucket, Key=f"pipelines/{run}/model.tar.gz", Body=model_tarball(model_size, code))
        metrics = {"r2": {"value": 0.9}} if rmse_log is None else {"rmse_log": {"value": rmse_log}}
        s3.put_object(
            Bucket=bucket,
            Key=f"pipelines/{run}/evaluation.json",
            Body=json.dumps({"regression_metrics": metrics}).encode(),
        )
        for name, document in baseline().items():
            s3.put_object(Bucket=bucket, Key=f"pipelines/{run}/baseline/{name}.json", Body=document)
        request: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": self.image,
                        "ModelDataUrl": f"s3://{bucket}/pipelines/{run}/model.tar.gz",
                        "Environment": dict(CONTAINER_ENVIRONMENT if environment is None else environment),
                    }
                ],
                "SupportedContentTypes": ["text/csv", "application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            "ModelMetrics": {
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": f"s3://{bucket}/pipelines/{run}/evaluation.json",
                    }
                }
            },
            "DriftCheckBaselines": {
                "ModelDataQuality": {
                    kind: {
                        "ContentType": "application/json",
                        "S3Uri": f"s3://{bucket}/pipelines/{run}/baseline/{n}.json",
                    }
                    for kind, n in (("Constraints", "constraints"), ("Statistics", "statistics"))
                }
            },
            **extra,
        }
        sm = self.sessions[stage].client("sagemaker")
        arn = str(sm.create_model_package(**request)["ModelPackageArn"])
        record_identities(arn, created_by=created_by or studio_user(arn, author))
        if sealed:
            self.seal(stage, arn)
        if approved:
            sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
            self.approved_by(stage, arn, approver or APPROVERS[stage])
        return arn

    def seal(self, stage: str, arn: str) -> dict[str, Any]:
        """Deliver the registration event to the stage's promotion function, as EventBridge would."""
        from promote_model.handler import handler

        acting = getattr(self, "acting", None)
        self.act_as(stage)
        try:
            return handler(approval_event(arn, status="PendingManualApproval"))
        finally:
            if acting is not None:  # the test goes on as the function it was acting as
                self.act_as(acting[0], **acting[1])

    def approved_by(self, stage: str, arn: str, person: str, role: str | None = None) -> None:
        """Record the approval's caller as SageMaker would (moto records none): a session of the stage's
        approver role, carrying the person as its source identity."""
        account = self.accounts[stage]
        record_identities(arn, last_modified_by=role_session(account, role or self.names.approver_role(stage), person))

    def packages(self, stage: str, group: str = GROUP) -> list[dict[str, Any]]:
        sm = self.sessions[stage].client("sagemaker")
        summaries = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        return [sm.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in summaries]

    def approve(self, stage: str, arn: str, approver: str | None = None) -> None:
        """Approve a promoted package. moto 5.2.5 replaces CustomerMetadataProperties with what
        update_model_package passes (SageMaker keeps them), so the lineage is passed back unchanged. The package
        was created by this stage's own promoter role when it pulled the package in (no person on it)."""
        sm = self.sessions[stage].client("sagemaker")
        lineage = sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
        record_identities(arn, created_by=role_session(self.accounts[stage], self.names.promoter_role(stage)))
        self.seal(stage, arn)
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", CustomerMetadataProperties=lineage)
        self.approved_by(stage, arn, approver or APPROVERS[stage])

    def listen(self, stage: str) -> Callable[[], list[dict[str, str]]]:
        """Subscribe a queue to the stage's alarm topic; the returned function reads what arrived since."""
        session = self.sessions[stage]
        sqs = session.client("sqs")
        url = sqs.create_queue(QueueName=f"alarms-{stage}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        session.client("sns").subscribe(
            TopicArn=self.deployed[stage]["ALARM_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn
        )

        def received() -> list[dict[str, str]]:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(m["Body"]) for m in messages]

        return received

    def ledger(self, stage: str, *, seals: bool = False) -> list[dict[str, Any]]:
        """The stage's ledger, oldest first: the promotions into it and, when asked for, the seals of what was
        registered in it (most tests follow the promotion records)."""
        from promote_model.ledger import Ledger

        table = self.deployed[stage]["LEDGER_TABLE_NAME"]
        entries = Ledger(self.sessions[stage].client("dynamodb"), table).entries()
        return [e for e in entries if seals or e["outcome"] != "sealed"]

    def keys(self, stage: str, prefix: str = "promoted/") -> list[str]:
        listed = self.sessions[stage].client("s3").list_objects_v2(Bucket=self.buckets[stage], Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))


@functools.cache
def baseline() -> dict[str, bytes]:
    """A data-quality baseline as the pipeline's Baseline step writes it (Roadway's profiler), of a few sales."""
    with (ROOT / "data" / "ames.csv").open(newline="") as handle:
        header, *rows = list(csv.reader(handle))[:51]
    statistics = profile.profile_rows(header, rows)
    return {
        "statistics": json.dumps(statistics).encode(),
        "constraints": json.dumps(profile.constraints(statistics)).encode(),
    }


def model_tarball(size: int, code: str | None = ENTRY_POINT, extra: dict[str, bytes] | None = None) -> bytes:
    """A model.tar.gz of about ``size`` bytes (seeded random content: repeatable, and gzip cannot shrink it), with
    the serving code after the model, as train.py lays it out (and ``extra`` members after it)."""
    payload = random.Random(size).randbytes(size)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        files = [("model.joblib", payload)] + ([(f"code/{code}", b"def model_fn(d):\n    return d\n")] if code else [])
        files += list((extra or {}).items())
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), compresslevel=1)


def _delete_model_package(self: Any) -> Any:
    """moto 5.2.5 has no DeleteModelPackage, which promotion's undo calls: this adds just that, by ARN."""
    arn = self._get_param("ModelPackageName")
    backend = self.sagemaker_backend
    mapped = backend.model_package_name_mapping.get(arn, arn)
    if mapped not in backend.model_packages:
        raise ValueError(f"no model package {arn}")
    del backend.model_packages[mapped]
    for name in [k for k, v in backend.model_package_name_mapping.items() if v == mapped]:
        del backend.model_package_name_mapping[name]
    return "{}"


def _delete_model_package_group(self: Any) -> Any:
    """Nor DeleteModelPackageGroup, which `roadway doctor`'s registry probe calls to remove its own group."""
    name = self._get_param("ModelPackageGroupName")
    backend = self.sagemaker_backend
    if name not in backend.model_package_groups:
        raise ValueError(f"no model package group {name}")
    del backend.model_package_groups[name]
    return "{}"


class MotoState:
    """Every account moto holds, as it stood when taken: restored before each test that opens the same road, so a
    road is deployed once per worker (0.4-0.6 s of CloudFormation in moto) and restored in about 0.01 s.

    One deepcopy of every backend moto has made, so references between them (a stack's resources, the buckets
    they name) stay consistent, with what a service keeps beside its accounts (S3's bucket names, global to a
    partition). moto's backends hold locks, which are copied as new locks.
    """

    def __init__(self) -> None:
        from moto.core.base_backend import BackendDict

        self.backends = list(BackendDict._instances)
        self.saved = self._copy([(dict(backend), beside(backend)) for backend in self.backends])

    def _copy(self, state: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))  # a stack's parsed template nests deeper than the default allows
        locks = {type(threading.RLock()): threading.RLock, type(threading.Lock()): threading.Lock}
        for kind, make in locks.items():  # a new lock for each lock moto holds, for this copy only
            copyreg.pickle(kind, lambda _, make=make: (make, ()))
        # A condition (SQS's queues hold one) keeps its lock's methods, which deepcopy would keep bound to the old
        # lock: it is made anew around its copied lock.
        copyreg.pickle(threading.Condition, lambda condition: (threading.Condition, (condition._lock,)))
        try:
            return copy.deepcopy(state, {id(backend): backend for backend in self.backends})
        finally:
            sys.setrecursionlimit(limit)
            for kind in (*locks, threading.Condition):
                copyreg.dispatch_table.pop(kind, None)

    def restore(self) -> None:
        """Every backend as taken, each a new copy; what moto held before is dropped."""
        from moto.core.base_backend import BackendDict

        forget()
        for backend, (accounts, kept) in zip(self.backends, self._copy(self.saved), strict=True):
            backend.clear()
            backend.update(accounts)
            vars(backend).update(kept)
            if backend not in BackendDict._instances:
                BackendDict._instances.append(backend)


def forget() -> None:
    """Drop every account moto holds, and empty what each service keeps beside them. ``mock_aws`` would reset
    each region's backend first (building EC2's default network again in every account) only to drop it."""
    from moto.core.base_backend import BackendDict

    for backend in BackendDict._instances:
        backend.clear()
        for kept in beside(backend).values():
            kept.clear()
    BackendDict._instances.clear()


def beside(backend: Any) -> dict[str, Any]:
    """What a service's BackendDict keeps beside its accounts (moto's reset of the accounts clears it)."""
    own = {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
    return {key: value for key, value in vars(backend).items() if key not in own}


@dataclass(frozen=True)
class Laid:
    """A road as deployed: what each test's ``Road`` starts from."""

    sessions: dict[str, boto3.session.Session]
    buckets: dict[str, str]
    deployed: dict[str, dict[str, str]]
    state: MotoState
    synth: Synth  # held, so that the id in the key is never reused by another synth


ROADS: dict[tuple[str, int, tuple[str, ...]], Laid] = {}
# Road.config_path's files, removed when the session ends.
CONFIG_FILES: dict[str, Path] = {}
# Road.checkpoint's: moto as a build left it, what the build returned, whom the test acted as last.
CHECKPOINTS: dict[tuple[Any, ...], tuple[MotoState, Any, tuple[str, dict[str, str]] | None]] = {}


def lay(config: RoadwayConfig, synth: Synth, groups: tuple[str, ...]) -> Laid:
    """Deploy the road into the current ``mock_aws``: ``synth``'s real serving stacks of ``groups`` in test and prod,
    a group per project in each account, the dev bucket, the promotion stacks. Then take moto's state."""
    names = Names.of(config)
    sessions = {stage: session_in(config.stage(stage).account, config.region) for stage in ("dev", "test", "prod")}
    buckets: dict[str, str] = {}
    for stage in ("test", "prod"):
        for group in groups:
            name = model_of(config, group).serving_stack(stage)  # type: ignore[arg-type]
            platform = names.stack_name(stage, "platform")  # type: ignore[arg-type]
            buckets[stage] = deploy_serving(sessions[stage], synth.templates[name], name, platform)
    buckets["dev"] = f"{config.project}-dev-artifacts"
    dev_s3 = sessions["dev"].client("s3")
    dev_s3.create_bucket(Bucket=buckets["dev"], CreateBucketConfiguration={"LocationConstraint": config.region})
    dev_s3.put_bucket_versioning(Bucket=buckets["dev"], VersioningConfiguration={"Status": "Enabled"})
    for session in sessions.values():
        for group in groups:
            session.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
    deployed: dict[str, dict[str, str]] = {}
    for stage in ("dev", "test", "prod"):
        name = names.stack_name(stage, "promotion")  # type: ignore[arg-type]
        template = synth.templates[name]
        deployed[stage] = deploy_promotion(sessions[stage], name, template, buckets[stage])
    return Laid(sessions, buckets, deployed, MotoState(), synth)


@contextlib.contextmanager
def open_road(
    config: RoadwayConfig, synth: Synth, monkeypatch: pytest.MonkeyPatch, groups: tuple[str, ...] = (GROUP,)
) -> Iterator[Road]:
    """Three moto accounts with ``synth``'s real serving stacks of ``groups`` (projects of ``config``) in test and
    prod, a group per project in each account, and the promotion ledgers: deployed by the first test of a worker
    that opens this road, restored as deployed for every later one."""
    from moto.sagemaker.responses import SageMakerResponse

    monkeypatch.setenv("AWS_DEFAULT_REGION", config.region)
    monkeypatch.setattr(SageMakerResponse, "delete_model_package", _delete_model_package, raising=False)
    monkeypatch.setattr(SageMakerResponse, "delete_model_package_group", _delete_model_package_group, raising=False)
    key = (config.model_dump_json(), id(synth), groups)
    forget_own_sessions()  # each test starts the functions in a new execution environment
    with mock_aws():
        if key in ROADS:
            ROADS[key].state.restore()
        else:
            ROADS[key] = lay(config, synth, groups)
        laid = ROADS[key]
        deployed = {stage: dict(outputs) for stage, outputs in laid.deployed.items()}
        try:
            yield Road(config, dict(laid.sessions), dict(laid.buckets), deployed, synth, monkeypatch, key)
        finally:
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
