"""The moto road: Roadway's three accounts in one moto, the real serving stacks of test and prod, the promotion
ledgers, and packages registered as the pipeline registers them. `make demo`, the tests and the bench drive it.

Its verbs are what happens on the road, each as AWS would do it where moto does not:

- ``MotoRoad.lay``: deploy the synthesized templates (devtools/moto_accounts.py says what moto can hold of them);
- ``register``: upload a run's evidence and register it through model_code.registration.package_request, the
  pipeline's own description of a package, recording who registered it and the pipeline run, as SageMaker would;
- ``act_as``: be a stage's promotion function (its account's credentials, its settings from the template);
- ``deliver``: run that function on an event, as EventBridge delivers it; ``seal`` and ``promote`` are the two
  events the road sends;
- ``approve``: a person's approval through the stage's approver role.

It runs in-process (``moto.mock_aws``, the tests) or against ``moto_server`` on 127.0.0.1 (the demo, the bench):
the same boto3 calls either way. The tests add checkpoints to it (tests/moto_road.py).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import math
import os
import random
import socket
import tarfile
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from promote_model.contract import Output, Parameter

from devtools import moto_accounts
from devtools.patched import moto as patched_moto
from model_code.registration import ENTRY_POINT, package_request
from roadway.config import STAGE_NAMES, RoadwayConfig, StageName
from roadway.images import SKLEARN_REGISTRIES
from roadway.naming import ModelNames, Names

ROOT = Path(__file__).resolve().parents[1]
AUTHOR = "ana-garcia"  # the data scientist who registers the road's first project (team pricing)
APPROVERS = {"dev": "maria-lopez", "test": "li-wei"}  # identity.people of config/roadway.yaml: a person per stage
TRAINING_DATA = "data/ames.csv"


FACETS = ("Neighborhood", "Bldg.Type", "MS.Zoning")
"""The shipped project's facets (config/roadway.yaml)."""
GROUPS = {"Neighborhood": {"NAmes": (0.10, 0.01), "OldTown": (0.14, -0.03)}}
"""A made bias report's judged groups: (RMSE of log price, mean signed residual); its ratio is 1.4, its largest
residual 0.03 (OldTown, valued too low)."""
_EXPLAINED = {
    "version": "1.0",
    "explanations": {
        "kernel_shap": {
            "label0": {"global_shap_values": {"Overall.Qual": 0.05, "log.area": 0.04}, "expected_value": 12.0}
        }
    },
}


@dataclass(frozen=True)
class Evidence:
    """What one pipeline run leaves in its project's evidence folder: the model, the Evaluate step's metrics and
    the Baseline step's data-quality baseline, as the files' bytes."""

    model: bytes | Path  # a file: uploaded in parts (the bench's gigabyte)
    evaluation: bytes
    statistics: bytes | None = None
    constraints: bytes | None = None
    bias: bytes | None = None
    explainability: bytes | None = None

    @property
    def metrics(self) -> dict[str, float]:
        return {k: v["value"] for k, v in json.loads(self.evaluation)["regression_metrics"].items()}

    @classmethod
    def made(
        cls,
        *,
        model_size: int = 2048,
        rmse_log: float | None = 0.11,
        code: str | None = ENTRY_POINT,
        groups: dict[str, dict[str, tuple[float, float]]] | None = None,
        explained: bool = True,
    ) -> Evidence:
        """A run's evidence without training: a model.tar.gz of about ``model_size`` bytes carrying ``code`` (None:
        no code), metrics with ``rmse_log`` (None: without it, what a gate must refuse), the profiler's baseline of
        the first 50 sales, a bias report whose judged groups have the ``(RMSE of log price, mean signed residual)``
        of ``groups`` per facet (default :data:`GROUPS`; {}: no bias report) and, if ``explained``, an
        explainability report."""
        metrics = {"r2": {"value": 0.9}} if rmse_log is None else {"rmse_log": {"value": rmse_log}}
        made = _baseline()
        chosen = GROUPS if groups is None else groups
        return cls(
            model=model_tarball(model_size, code),
            evaluation=json.dumps({"regression_metrics": metrics}).encode(),
            statistics=made["statistics"],
            constraints=made["constraints"],
            bias=_made_bias(json.dumps(chosen, sort_keys=True)) if chosen else None,
            explainability=json.dumps(_EXPLAINED).encode() if explained else None,
        )

    @classmethod
    def trained(cls, work: Path, sample: int = 0, facets: tuple[str, ...] = FACETS) -> Evidence:
        """A real run on data/ames.csv in ``work``: model_code's train, evaluate, the profiler and the governance
        step, as the pipeline's steps run them (``sample``: train on that many sales only; ``facets``: what the
        bias report groups by). The model stays in ``work/model``."""
        from drift_monitor import profile

        from model_code import evaluate, governance, train

        model_dir, out = work / "model", work / "out"
        train.main(
            ["--train", str(ROOT / "data"), "--model-dir", str(model_dir), "--output-data-dir", str(out)]
            + (["--sample", str(sample)] if sample else [])
        )
        # The Evaluate step writes the baseline's rows (the training inputs and the model's answers; model.tar.gz
        # carries none), and the Baseline step profiles them with Roadway's profiler.
        rows = out / "predicted-baseline"
        evaluate.main(str(model_dir), str(ROOT / "data"), str(out / "evaluation"), str(rows))
        profile.main(["--input", str(rows / "baseline.csv"), "--output", str(out / "baseline")])
        governed = out / "governance"
        facet_arguments = [argument for facet in facets for argument in ("--facet", facet)]
        where = ["--model-dir", str(model_dir), "--data-dir", str(ROOT / "data"), "--output-dir", str(governed)]
        governance.main([*where, *facet_arguments])
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            for item in sorted(model_dir.iterdir()):
                tar.add(item, arcname=item.name)
        return cls(
            model=archive.getvalue(),
            evaluation=(out / "evaluation.json").read_bytes(),
            statistics=(out / "baseline" / "statistics.json").read_bytes(),
            constraints=(out / "baseline" / "constraints.json").read_bytes(),
            bias=(governed / governance.BIAS_REPORT).read_bytes(),
            explainability=(governed / governance.EXPLAINABILITY_REPORT).read_bytes(),
        )


@functools.cache
def _made_bias(groups: str) -> bytes:
    """:func:`bias_report` of ``groups`` as JSON, made once per process (every moto test registers a package)."""
    return bias_report(
        {f: {g: (rmse, mean) for g, (rmse, mean) in chosen.items()} for f, chosen in json.loads(groups).items()}
    )


def bias_report(groups: dict[str, dict[str, tuple[float, float]]], min_group_size: int = 20) -> bytes:
    """A bias report as the Governance step writes it (model_code/bias.py), of made sales: per group, 20 sales whose
    log residuals are ``mean +- sqrt(rmse**2 - mean**2)`` alternately, so the group has exactly that RMSE and mean.
    Each facet is reported on its own sales, then the sections are put together as one report has them."""
    import numpy as np

    from model_code import bias

    merged: dict[str, Any] = {}
    for facet, chosen in groups.items():
        names: list[str] = []
        residuals: list[float] = []
        for name, (rmse, mean) in chosen.items():
            spread = math.sqrt(max(rmse**2 - mean**2, 0.0))
            names += [name] * min_group_size
            residuals += [mean + spread if i % 2 else mean - spread for i in range(min_group_size)]
        sold = np.full(len(residuals), 200_000.0)
        grouped = {facet: np.array(names, dtype=object)}
        one = bias.report([bias.Facet(facet)], grouped, sold, sold * np.exp(residuals), 200_000.0, min_group_size)
        if not merged:
            merged = one
        else:
            for section in ("pre_training_bias_metrics", "post_training_bias_metrics"):
                merged[section]["facets"].update(one[section]["facets"])
            merged[bias.SECTION]["facets"].update(one[bias.SECTION]["facets"])
    merged[bias.SECTION].update(bias.summary(merged[bias.SECTION]["facets"]))
    return json.dumps(merged).encode()


@functools.cache
def _baseline() -> dict[str, bytes]:
    from drift_monitor import profile

    with (ROOT / TRAINING_DATA).open(newline="") as handle:
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


@dataclass
class MotoRoad:
    """A road laid in moto (see the module's docstring). ``setenv`` is how acting as a function changes this
    process's environment: os.environ's own (the demo, inside ``scoped_environment``) or pytest's monkeypatch."""

    config: RoadwayConfig
    templates: dict[str, dict[str, Any]]  # the road's synthesized templates, by stack name
    sessions: dict[str, boto3.session.Session]
    buckets: dict[str, str]  # per stage: its artifact bucket
    deployed: dict[str, dict[str, str]]  # per stage: its ledger table and alarm topic
    setenv: Callable[[str, str], None] = field(default=os.environ.__setitem__, repr=False)
    acting: tuple[str, dict[str, str]] | None = field(default=None, init=False)
    pulled: set[str] = field(default_factory=set, init=False)  # packages already pulled in (see pulled_in)

    @classmethod
    def lay(
        cls,
        config: RoadwayConfig,
        templates: dict[str, dict[str, Any]],
        groups: tuple[str, ...] | None = None,
        *,
        role_name: str = "roadway-tests",
        setenv: Callable[[str, str], None] = os.environ.__setitem__,
        stack_tags: Callable[[str], Mapping[str, str]] | None = None,
    ) -> MotoRoad:
        """Deploy the road into the current moto: the real serving stacks of ``groups`` (default: every project)
        in test and prod, with the tags ``stack_tags`` gives each (the assembly's, as the CDK CLI deploys them), a
        group per project in each account, the dev bucket, the promotion stacks. Sessions are ``role_name``'s in
        each account."""
        patched_moto.add_sagemaker_deletes()  # which promotion's undo and the doctor's probe call
        names = Names.of(config)
        groups = groups if groups is not None else tuple(p.name for p in config.projects)
        accounts = {stage: config.stage(stage).account for stage in STAGE_NAMES}
        sessions = {s: moto_accounts.session_in(account, config.region, role_name) for s, account in accounts.items()}
        buckets: dict[str, str] = {}
        for stage in ("test", "prod"):
            for group in groups:
                name = names.model(config.project_named(group)).serving_stack(stage)
                platform = names.stack_name(stage, "platform")
                tags = stack_tags(name) if stack_tags else None
                buckets[stage] = moto_accounts.deploy_serving(sessions[stage], templates[name], name, platform, tags)
        buckets["dev"] = f"{config.project}-dev-artifacts"
        dev_s3 = sessions["dev"].client("s3")
        dev_s3.create_bucket(Bucket=buckets["dev"], CreateBucketConfiguration={"LocationConstraint": config.region})
        dev_s3.put_bucket_versioning(Bucket=buckets["dev"], VersioningConfiguration={"Status": "Enabled"})
        for session in sessions.values():
            for group in groups:
                session.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
        deployed = {
            stage: moto_accounts.deploy_promotion(
                sessions[stage],
                names.stack_name(stage, "promotion"),
                templates[names.stack_name(stage, "promotion")],
                buckets[stage],
            )
            for stage in STAGE_NAMES
        }
        return cls(config, templates, sessions, buckets, deployed, setenv)

    def restate_gate(self, stage: StageName, group: str, gate: dict[str, Any]) -> None:
        """Deploy ``group``'s serving stack in ``stage`` again with another gate, its parameters as they are: what
        `cdk deploy` of a config with that ``promotion_gate`` changes (the stack's ``PromotionGate`` output only,
        spelt as roadway.config.Project.gate spells it)."""
        stack = self.serving_stack(stage, group)
        template = json.loads(json.dumps(self.templates[stack]))
        template["Outputs"][Output.GATE]["Value"] = json.dumps(gate, separators=(",", ":"))
        cloudformation = self.sessions[stage].client("cloudformation")
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        cloudformation.update_stack(
            StackName=stack,
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True} for p in described["Parameters"]],
            Capabilities=["CAPABILITY_IAM"],
        )
        self.templates[stack] = template

    # What the road is called and where.
    @property
    def names(self) -> Names:
        return Names.of(self.config)

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def accounts(self) -> dict[str, str]:
        return {stage: self.config.stage(stage).account for stage in STAGE_NAMES}

    @property
    def image(self) -> str:
        """SageMaker's scikit-learn serving image of the road's region (tests/roadway/test_images.py holds the
        registries equal to the SageMaker SDK's, which the pipeline resolves it with)."""
        registry = SKLEARN_REGISTRIES[self.region]
        return f"{registry}.dkr.ecr.{self.region}.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"

    @property
    def first(self) -> str:
        """The road's first project (its group)."""
        return self.config.projects[0].name

    def model(self, group: str | None = None) -> ModelNames:
        return self.names.model(self.config.project_named(group or self.first))

    def serving_stack(self, stage: StageName, group: str | None = None) -> str:
        return self.model(group).serving_stack(stage)

    def template(self, stage: StageName, kind: str = "promotion") -> dict[str, Any]:
        return self.templates[self.names.stack_name(stage, kind)]

    # Being a stage's function.
    def credentials(self, stage: StageName) -> dict[str, str]:
        """What Lambda gives any function of the stage's account: the account's credentials and the region."""
        credentials = self.sessions[stage].get_credentials()
        return {
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_SESSION_TOKEN": credentials.token,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def environment(self, stage: StageName, **overrides: str) -> dict[str, str]:
        """The environment Lambda gives the stage's promotion function: :meth:`credentials` and the settings CDK
        gave it (resolved as deployed)."""
        return {
            **self.credentials(stage),
            **moto_accounts.function_environment(self.template(stage), self.deployed[stage]),
            **overrides,
        }

    def act_as(self, stage: StageName, **overrides: str) -> None:
        """Run code in this process as the promotion function of ``stage`` would. A package approved in dev is
        pulled by test's function (``act_as("test")``), one approved in test by prod's."""
        self.acting = (stage, overrides)
        for key, value in self.environment(stage, **overrides).items():
            self.setenv(key, value)
        boto3.DEFAULT_SESSION = None  # a function of its own: boto3.client() reads these, not an earlier caller's

    def deliver(self, stage: StageName, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver ``event`` to the stage's promotion function, as EventBridge would; then go on acting as before."""
        from promote_model.handler import handler

        acting = self.acting
        self.act_as(stage)
        try:
            return dict(handler(event))
        finally:
            if acting is not None:
                self.act_as(acting[0], **acting[1])  # type: ignore[arg-type]

    # What happens on the road.
    def register(
        self,
        stage: StageName,
        evidence: Evidence | None = None,
        *,
        run: str = "run-1",
        group: str | None = None,
        author: str = AUTHOR,
        created_by: dict[str, Any] | None = None,
        run_code: list[str] | None = None,
        run_started_by: str | None = None,
        pipeline_changed_by: str | None = None,
        environment: dict[str, str] | None = None,
        description: str = "",
        **override: Any,
    ) -> str:
        """Upload ``evidence`` (default: :meth:`Evidence.made`'s) into one run's folder of the stage's bucket
        (dev: the project's evidence folder, ``pipelines/<group>/<run>/``, where on AWS only the project's pipeline
        jobs write) and register it pending, as the pipeline's Register step does; return its ARN.

        SageMaker's record of who registered it is ``created_by`` (default: the ``author``'s Studio profile). In
        dev the pipeline's run is recorded as SageMaker records it: its code in the folders ``run_code`` names
        (default the author's own, ``<team>/<author>``), started by ``run_started_by`` and the pipeline last changed
        by ``pipeline_changed_by`` (both default the author). ``environment`` replaces the container's; ``override``
        replaces top-level request fields (a test's broken package).
        """
        evidence = evidence or Evidence.made()
        group = group or self.first
        bucket = self.buckets[stage]
        folder = f"{self.model(group).evidence_prefix()}/{run}" if stage == "dev" else f"pipelines/{run}"
        s3 = self.sessions[stage].client("s3")
        files: dict[str, bytes | Path | None] = {
            "model.tar.gz": evidence.model,
            "evaluation.json": evidence.evaluation,
            "data-quality-baseline/statistics.json": evidence.statistics,
            "data-quality-baseline/constraints.json": evidence.constraints,
            "governance/bias.json": evidence.bias,
            "governance/explainability.json": evidence.explainability,
        }
        for name, body in files.items():
            if isinstance(body, Path):
                s3.upload_file(str(body), bucket, f"{folder}/{name}")
            elif body is not None:
                s3.put_object(Bucket=bucket, Key=f"{folder}/{name}", Body=body)

        def at(name: str) -> str | None:
            return f"s3://{bucket}/{folder}/{name}" if files[name] is not None else None

        rmse_log = evidence.metrics.get("rmse_log")
        request = package_request(
            group=group,
            image=self.image,
            model_data_url=str(at("model.tar.gz")),
            evaluation_uri=str(at("evaluation.json")),
            statistics_uri=at("data-quality-baseline/statistics.json"),
            constraints_uri=at("data-quality-baseline/constraints.json"),
            bias_uri=at("governance/bias.json"),
            explainability_uri=at("governance/explainability.json"),
            training_data=TRAINING_DATA,
            description=description or (f"{group}, rmse_log {rmse_log:.4f}" if rmse_log is not None else group),
        )
        if environment is not None:
            request["InferenceSpecification"]["Containers"][0]["Environment"] = dict(environment)
        request.update(override)
        arn = str(self.sessions[stage].client("sagemaker").create_model_package(**request)["ModelPackageArn"])
        patched_moto.record_identities(arn, created_by=created_by or moto_accounts.studio_user(arn, author))
        if stage == "dev":
            self._record_run(group, run, author, run_code, run_started_by, pipeline_changed_by)
        return arn

    def _record_run(
        self,
        group: str,
        run: str,
        author: str,
        run_code: list[str] | None,
        started_by: str | None,
        changed_by: str | None,
    ) -> None:
        team, model = self.config.project_named(group).team, self.model(group)
        account = self.accounts["dev"]
        somewhere = f"arn:aws:sagemaker:{self.region}:{account}:x"
        patched_moto.record_run(
            self.sessions["dev"],
            model.pipeline(),
            run,
            role_arn=self.names.role_arn(account, model.pipeline_role()),
            code=[
                f"s3://{self.buckets['dev']}/teams/{folder}/code/train.py"
                for folder in (run_code if run_code is not None else [f"{team}/{author}"])
            ],
            started_by=moto_accounts.studio_user(somewhere, started_by or author),
            last_modified_by=moto_accounts.studio_user(somewhere, changed_by or author),
        )

    def seal(self, stage: StageName, arn: str) -> dict[str, Any]:
        """The registration event SageMaker sends for a new package, delivered to the stage's function."""
        return self.deliver(stage, moto_accounts.approval_event(arn, status="PendingManualApproval"))

    def approved_by(self, stage: StageName, arn: str, person: str, role: str | None = None) -> None:
        """Record the approval's caller as SageMaker would (moto records none): a session of the stage's approver
        role (or ``role``), carrying the person as its source identity."""
        session = moto_accounts.role_session(self.accounts[stage], role or self.names.approver_role(stage), person)
        patched_moto.record_identities(arn, last_modified_by=session)

    def pulled_in(self, stage: StageName, arn: str) -> dict[str, Any]:
        """A package the stage's promoter registered as it pulled it in: SageMaker records the promoter's role as
        its creator and sends its registration event (the promotion sealed it already: 'already-sealed')."""
        promoter = moto_accounts.role_session(self.accounts[stage], self.names.promoter_role(stage))
        patched_moto.record_identities(arn, created_by=promoter)
        self.pulled.add(arn)
        return self.seal(stage, arn)

    def approve(self, stage: StageName, arn: str, approver: str | None = None) -> None:
        """``approver`` (default: the stage's usual approver) approves the package through the stage's approver
        role; one promoted into ``stage`` is pulled in first, unless it was already."""
        if stage != "dev" and arn not in self.pulled:
            self.pulled_in(stage, arn)
        self.decide(stage, arn, "Approved", approver or APPROVERS[stage], self.names.approver_role(stage))

    def reject(self, stage: StageName, arn: str, person: str = "lee-oncall", role: str | None = None) -> None:
        """``person`` rejects the package through ``role`` (default: the stage's break-glass role)."""
        self.decide(stage, arn, "Rejected", person, role or self.names.break_glass_role(stage))

    def decide(self, stage: StageName, arn: str, status: str, person: str, role: str) -> None:
        """Set the package's status as ``person`` through ``role``, recorded as SageMaker would. The lineage is
        passed back unchanged: SageMaker keeps CustomerMetadataProperties on an update, moto 5.2.5 replaces them
        with what the update passes."""
        sm = self.sessions[stage].client("sagemaker")
        lineage = sm.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties")
        extra = {"CustomerMetadataProperties": lineage} if lineage else {}
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status, **extra)
        self.approved_by(stage, arn, person, role)

    def promote(self, stage: StageName, arn: str, approver: str | None = None) -> dict[str, Any]:
        """Approve in ``stage`` and deliver the approval to the next stage's function, which pulls the package in
        (or refuses it); its outcome."""
        person = approver or APPROVERS[stage]
        self.approve(stage, arn, person)
        target = self.config.next_stage(stage)
        assert target is not None, f"{stage} is the last stage"
        return self.deliver(target, moto_accounts.approval_event(arn, approved_by=person))

    # What the road holds.
    def serves(self, stage: StageName, group: str | None = None) -> str:
        """The package the stage's serving stack of ``group`` is set to serve (its parameter)."""
        stack = self.serving_stack(stage, group)
        return moto_accounts.parameters_of(self.sessions[stage], stack)[Parameter.MODEL_PACKAGE]

    def packages(self, stage: StageName, group: str | None = None) -> list[dict[str, Any]]:
        sm = self.sessions[stage].client("sagemaker")
        listed = sm.list_model_packages(ModelPackageGroupName=group or self.first)["ModelPackageSummaryList"]
        return [sm.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in listed]

    def ledger(self, stage: StageName, *, seals: bool = False) -> list[dict[str, Any]]:
        """The stage's ledger, oldest first: the promotions into it and, when asked for, the seals of what was
        registered in it."""
        from promote_model.ledger import Ledger

        table = self.deployed[stage]["LEDGER_TABLE_NAME"]
        entries = Ledger(self.sessions[stage].client("dynamodb"), table).entries()
        return [e for e in entries if seals or e["outcome"] != "sealed"]

    def keys(self, stage: StageName, prefix: str = "promoted/") -> list[str]:
        listed = self.sessions[stage].client("s3").list_objects_v2(Bucket=self.buckets[stage], Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def listen(self, stage: StageName) -> Callable[[], list[dict[str, str]]]:
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


@contextmanager
def moto_server(port: int) -> Iterator[str]:
    """moto_server on 127.0.0.1 for the duration, always stopped, whatever happens inside.

    It runs in a thread of this process (moto's ThreadedMotoServer, the same server `moto_server` starts) so the
    road can write who created and who approved a package into the registry, which moto does not record (see
    ``patched_moto.record_identities``). Everything else goes over HTTP like any client.
    """
    import logging

    from moto.server import ThreadedMotoServer

    # One line per request, and moto's notes on resource types its CloudFormation skips (moto 5.2.5 parses no
    # alarms, monitoring schedules or scaling policies), are not the road's story.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto_server did not start on {endpoint}")
        yield endpoint
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=5)
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
