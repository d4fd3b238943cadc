"""The house-price SageMaker Pipeline: prepare, train, evaluate, baseline, governance, register.

    python -m model_code.pipeline --definition-only > pipeline.json   # offline, no credentials
    python -m model_code.pipeline bundle --out DIR --group GROUP --team TEAM --role-arn ARN --job-role-arn ARN \
        --bucket BUCKET --subnet ID [--subnet ID] --security-group ID --volume-kms-key KEY_ARN   # offline, SDK
    python -m model_code.pipeline upsert --bundle DIR --role-arn ARN     # in Studio: boto3 only
    python -m model_code.pipeline start --group GROUP [--road ROAD]      # boto3 only

A VpcOnly Studio space has no package index and its image's SDK is not the pinned one (``make deps`` cannot run
there). So the definition is built where the pinned SDK is (a laptop, CI: ``bundle``, offline) into a folder that
holds the definition and the code it refers to; in Studio, ``upsert --bundle`` uploads that code and creates or
updates the pipeline with plain boto3, and ``start`` starts it (docs/data-scientist.md).

One pipeline per project (``--group``, its model package group), named ``<road>-<group>`` (``--road``: the
config's ``project``, ``roadway`` by default), which only the project's team may create, run and follow. Every job
runs inside the dev VPC's subnets (the Studio roles may create no other), so ``upsert`` wants the ``--subnet``
values of ``roadway-dev-platform``'s ``JobSubnetIds`` output, the ``--security-group`` of ``roadway-dev-studio``'s
``StudioSecurityGroupId``, and the project's two roles (outputs ``PipelineRoleArn``/``PipelineJobRoleArn`` of
``roadway-dev-studio`` for the road's original project, ``PipelineRoleArn<Project>``/``PipelineJobRoleArn<Project>``
of ``roadway-dev-pipelines`` for the others):
Pipelines runs as the first, every step's job as the second, the only principal that may write the project's
evidence folder ``pipelines/<group>/`` in the artifact bucket. Each execution writes its outputs under
``pipelines/<group>/<execution id>/``: the promotion takes a package only when all its artifacts lie in one such
folder of its own project. Every job carries the team's ``roadway:team`` tag (the pipeline role may start no
other), and the code the SDK uploads goes to its author's own folder in the team's, ``teams/<team>/<user>/``
(``--user``): only they may write there, and the promotion takes them as the author of each run (it refuses a run
whose code lies in another person's folder, or that someone else started or last changed).

The SageMaker SDK uploads the training code to S3 while it builds a definition. ``--definition-only`` therefore
runs it inside moto's in-process AWS stand-in: nothing leaves the machine, and the definition names the bucket
you pass. ``upsert`` and ``start`` use your real dev-account credentials. This module and registration.py (the
image URI) are the only ones of model_code that import the SDK.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_code import registration

HERE = Path(__file__).resolve().parent
# Roadway's profiler (the drift job's own statistics, in Model Monitor's schema) runs as the Baseline step.
PROFILER_DIR = HERE.parent / "lambdas" / "drift_monitor"
ENGINES = ("roadway", "model-monitor")
# The artifact bucket's evidence prefix (lambdas/promote_model/contract.py PIPELINE_PREFIX; a test holds them equal).
EVIDENCE_PREFIX = "pipelines"
# A team's folder in the buckets, and the tags its jobs carry (roadway/naming.py; a test holds them equal).
TEAMS_PREFIX = "teams"
TEAM_TAG = "roadway:team"
PROJECT_TAG = "roadway:project"


@dataclass(frozen=True)
class PipelineSettings:
    region: str = "eu-west-1"
    role_arn: str = "arn:aws:iam::111111111111:role/roadway-dev-pipeline"
    job_role_arn: str = "arn:aws:iam::111111111111:role/roadway-dev-pipeline-jobs"
    bucket: str = "roadway-dev-pipeline"
    group: str = "house-price"
    team: str = "pricing"
    user: str = "ana-garcia"
    """Whose pipeline this is: the SDK uploads its code to their own folder (``teams/<team>/<user>/``), which only
    they may write, and the promotion takes them as the author of every run of it."""
    road: str = "roadway"
    instance_type: str = "ml.m5.large"
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    volume_kms_key: str | None = None
    """The dev data key (``roadway-dev-platform-data-key-arn``): the only key the Studio roles may start jobs with."""
    monitoring_engine: str = "roadway"
    """Who computes the drift baseline: Roadway's profiler (every account), or Model Monitor's analyzer (only
    accounts that have Model Monitor). Match prod's ``serving.monitoring.engine``."""
    facets: list[str] = field(default_factory=list)
    """The columns the Governance step groups held-out sales by (config ``projects[].bias.facets``; model_code/bias.py
    Facet.parse spells them): its bias report has a section per facet."""
    min_group_size: int = 20
    """Groups with fewer held-out sales are pooled and not judged (config ``projects[].bias.min_group_size``)."""
    sdk_defaults: dict[str, Any] = field(default_factory=dict)
    """The SDK's defaults config (its ``sagemaker_config``); the command gives :data:`SDK_DEFAULTS`. Empty: the
    SDK's own files. The SDK validates a non-empty config at every lookup, which makes a build seconds slower."""

    @property
    def name(self) -> str:
        """The project's pipeline, the one name its team may create and run (roadway/naming.py, ModelNames)."""
        return f"{self.road}-{self.group}".lower()

    @property
    def evidence_prefix(self) -> str:
        """The project's evidence folder: only its job role writes there."""
        return f"{EVIDENCE_PREFIX}/{self.group}"

    @property
    def team_folder(self) -> str:
        """The team's folder: its data, and the code the SDK uploads; the job role reads it."""
        return f"{TEAMS_PREFIX}/{self.team}"

    @property
    def own_folder(self) -> str:
        """The user's folder in the team's: the code the SDK uploads (roadway/naming.py person_prefix)."""
        return f"{self.team_folder}/{self.user}"

    @property
    def tags(self) -> list[dict[str, str]]:
        """On every job: the team's tag is what its budget counts and what its members follow and stop jobs by."""
        return [{"Key": TEAM_TAG, "Value": self.team}, {"Key": PROJECT_TAG, "Value": self.group}]


def build(settings: PipelineSettings) -> Any:
    """The Pipeline object (SDK 3.x, sagemaker.mlops.workflow)."""
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")  # the role lives in the dev account, not here
    import boto3
    from sagemaker.core.drift_check_baselines import DriftCheckBaselines
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.processing import FrameworkProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.configs import Compute, InputData, Networking, OutputDataConfig, SourceCode, Tag
    from sagemaker.train.model_trainer import ModelTrainer

    session = PipelineSession(
        boto_session=boto3.Session(region_name=settings.region),
        default_bucket=settings.bucket,
        default_bucket_prefix=settings.own_folder,  # the code the SDK uploads: its author's own folder
        sagemaker_config=settings.sdk_defaults or None,
    )
    image = registration.serving_image(settings.region)
    train_data = ParameterString(
        "TrainData", default_value=f"s3://{settings.bucket}/{settings.own_folder}/datasets/ames/"
    )
    model_kind = ParameterString("ModelKind", default_value="ridge")
    in_vpc = bool(settings.subnets)
    if settings.monitoring_engine not in ENGINES:
        raise ValueError(f"monitoring engine {settings.monitoring_engine!r}: expected one of {', '.join(ENGINES)}")
    model_monitor = settings.monitoring_engine == "model-monitor"
    # Isolated: the containers get their code and data as channels from SageMaker and reach nothing themselves
    # (the Studio roles may start no other job).
    network = (
        NetworkConfig(
            subnets=settings.subnets, security_group_ids=settings.security_groups, enable_network_isolation=True
        )
        if in_vpc
        else None
    )

    def output(name: str) -> Any:
        """Where a step writes: this execution's own folder of the project's evidence folder."""
        root = f"s3://{settings.bucket}/{settings.evidence_prefix}"
        return Join(on="/", values=[root, ExecutionVariables.PIPELINE_EXECUTION_ID, name])

    processor = FrameworkProcessor(
        image_uri=image,
        role=settings.job_role_arn,
        command=["python3"],
        instance_count=1,
        instance_type=settings.instance_type,
        sagemaker_session=session,
        base_job_name="house-price",
        tags=settings.tags,
        network_config=network,
        volume_kms_key=settings.volume_kms_key,
    )

    def s3_input(name: str, uri: Any, path: str) -> Any:
        return ProcessingInput(
            input_name=name, s3_input=ProcessingS3Input(s3_uri=uri, local_path=path, s3_data_type="S3Prefix")
        )

    def s3_output(name: str) -> Any:
        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=output(name), local_path=f"/opt/ml/processing/{name}", s3_upload_mode="EndOfJob"
            ),
        )

    def output_uri(step: Any, name: str) -> Any:
        return step.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri

    prepare = ProcessingStep(
        name="Prepare",
        step_args=processor.run(
            code="prepare.py",
            source_dir=str(HERE),
            inputs=[s3_input("raw", train_data, "/opt/ml/processing/input")],
            outputs=[s3_output("train")] + ([s3_output("baseline")] if model_monitor else []),
        ),
    )
    prepared = output_uri(prepare, "train")

    # engine model-monitor: Model Monitor's suggest_baseline on the inputs training saw, the statistics and
    # constraints prod's data-quality schedule compares live requests with. The step only computes them
    # (skip_check): drift is watched in prod, not between training runs.
    baseline = None
    if model_monitor:
        baseline = _in_vpc(QualityCheckStep)(
            name="Baseline",
            quality_check_config=DataQualityCheckConfig(
                baseline_dataset=output_uri(prepare, "baseline"),
                dataset_format=DatasetFormat.csv(header=True),
                output_s3_uri=output("data-quality-baseline"),
            ),
            check_job_config=CheckJobConfig(
                role=settings.job_role_arn,
                instance_count=1,
                instance_type=settings.instance_type,
                sagemaker_session=session,
                network_config=network,
                volume_kms_key=settings.volume_kms_key,
                base_job_name="house-price-baseline",
                tags=settings.tags,
            ),
            skip_check=True,
            register_new_baseline=True,
            model_package_group_name=settings.group,
        )

    trainer = ModelTrainer(
        sagemaker_session=session,
        role=settings.job_role_arn,
        output_data_config=OutputDataConfig(s3_output_path=output("model")),
        training_image=image,
        source_code=SourceCode(source_dir=str(HERE), entry_script="train.py"),
        compute=Compute(
            instance_type=settings.instance_type, instance_count=1, volume_kms_key_id=settings.volume_kms_key
        ),
        networking=Networking(
            subnets=settings.subnets, security_group_ids=settings.security_groups, enable_network_isolation=True
        )
        if in_vpc
        else None,
        hyperparameters={"model": model_kind},
        base_job_name="house-price-train",
        tags=[Tag(key=tag["Key"], value=tag["Value"]) for tag in settings.tags],
    )
    train = TrainingStep(
        name="Train",
        step_args=trainer.train(input_data_config=[InputData(channel_name="train", data_source=prepared)]),
    )
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluate = ProcessingStep(
        name="Evaluate",
        step_args=processor.run(
            code="evaluate.py",
            source_dir=str(HERE),  # evaluate.py imports features.py beside it
            inputs=[
                s3_input("model", model_data, "/opt/ml/processing/model"),
                s3_input("data", prepared, "/opt/ml/processing/data"),
            ],
            outputs=[s3_output("evaluation"), s3_output("predicted-baseline")],
        ),
    )
    metrics_uri = output_uri(evaluate, "evaluation")

    # Bias and explanations of the trained model on the held-out split (model_code/governance.py), registered as
    # the package's Bias and Explainability reports: sealed, carried and gated like the metrics.
    governance = ProcessingStep(
        name="Governance",
        step_args=processor.run(
            code="governance.py",
            source_dir=str(HERE),
            inputs=[
                s3_input("model", model_data, "/opt/ml/processing/model"),
                s3_input("data", prepared, "/opt/ml/processing/data"),
            ],
            outputs=[s3_output("governance")],
            arguments=[
                *(argument for facet in settings.facets for argument in ("--facet", facet)),
                "--min-group-size",
                str(settings.min_group_size),
            ],
        ),
    )
    governance_uri = output_uri(governance, "governance")

    def json_at(uri: Any) -> Any:
        return MetricsSource(content_type="application/json", s3_uri=uri)

    if baseline is not None:
        statistics = json_at(baseline.properties.CalculatedBaselineStatistics)
        constraints = json_at(baseline.properties.CalculatedBaselineConstraints)
        drift_statistics = json_at(baseline.properties.BaselineUsedForDriftCheckStatistics)
        drift_constraints = json_at(baseline.properties.BaselineUsedForDriftCheckConstraints)
    else:
        # engine roadway: Roadway's profiler on the training inputs and the model's answers to them (Evaluate's
        # predicted-baseline), in Model Monitor's schema; one file serves both the registry and the drift job.
        baseline = ProcessingStep(
            name="Baseline",
            step_args=processor.run(
                code="profile.py",
                source_dir=str(PROFILER_DIR),
                # Not under /opt/ml/processing/input, where the processor puts the code it runs.
                inputs=[s3_input("rows", output_uri(evaluate, "predicted-baseline"), "/opt/ml/processing/rows")],
                outputs=[s3_output("data-quality-baseline")],
                arguments=[
                    "--input",
                    "/opt/ml/processing/rows",
                    "--output",
                    "/opt/ml/processing/data-quality-baseline",
                ],
            ),
        )
        profiled = output_uri(baseline, "data-quality-baseline")
        statistics = drift_statistics = json_at(Join(on="/", values=[profiled, "statistics.json"]))
        constraints = drift_constraints = json_at(Join(on="/", values=[profiled, "constraints.json"]))

    builder = ModelBuilder(
        image_uri=image,
        s3_model_data_url=model_data,
        role_arn=settings.job_role_arn,
        sagemaker_session=session,
        # train.py packs the serving code (registration.SERVING_CODE) under code/ in model.tar.gz.
        env_vars=dict(registration.CONTAINER_ENVIRONMENT),
    )
    register = ModelStep(
        name="Register",
        step_args=builder.register(
            model_package_group_name=settings.group,
            approval_status="PendingManualApproval",
            content_types=registration.CONTENT_TYPES,
            response_types=registration.RESPONSE_TYPES,
            customer_metadata_properties={registration.TRAINING_DATA: train_data},
            model_metrics=ModelMetrics(
                model_statistics=json_at(Join(on="/", values=[metrics_uri, "evaluation.json"])),
                model_data_statistics=statistics,
                model_data_constraints=constraints,
                bias=json_at(Join(on="/", values=[governance_uri, "bias.json"])),
                explainability=json_at(Join(on="/", values=[governance_uri, "explainability.json"])),
            ),
            # Promotion hands these to prod's drift watch (BaselineStatisticsUri, BaselineConstraintsUri).
            drift_check_baselines=DriftCheckBaselines(
                model_data_statistics=drift_statistics, model_data_constraints=drift_constraints
            ),
            description="house-price: trained, evaluated and baselined by the roadway pipeline",
        ),
    )
    # No metric condition here: the gate is the promotion's (config's promotion_gate), applied where the author
    # of a model cannot change it. Every run registers for approval; what falls short stops at the next stage.
    return Pipeline(
        name=settings.name,
        parameters=[train_data, model_kind],
        # No experiment or trial per execution: SageMaker would create them as the pipeline role, which is given
        # no right to (it starts jobs and registers, nothing more).
        pipeline_experiment_config=None,
        steps=[prepare, baseline, train, evaluate, governance, register]
        if model_monitor
        else [prepare, train, evaluate, baseline, governance, register],
        sagemaker_session=session,
    )


def _in_vpc(step_class: type) -> type:
    """QualityCheckStep whose VPC settings survive serialisation.

    SDK 3.27's check-job request puts the NetworkConfig object itself where its request dict belongs
    (sagemaker/mlops/workflow/_check_job_request.py), so a definition with a VPC cannot be written. This
    subclass writes the dict, as the processing steps do; without a VPC it changes nothing.
    """

    class QualityCheckStepInVpc(step_class):
        @property
        def arguments(self) -> Any:
            request = super().arguments
            network = request.get("NetworkConfig")
            if network is not None and hasattr(network, "_to_request_dict"):
                request["NetworkConfig"] = network._to_request_dict()
            return request

    return QualityCheckStepInVpc


class OfflineBuildUnavailable(RuntimeError):
    """The offline build's stand-in for AWS is not installed: the one line to print."""


def _offline(settings: PipelineSettings) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The definition, and every object the SDK uploaded while building it (the steps' code), built in moto's
    in-process stand-in: nothing leaves the machine. moto comes with the development extra (``make deps``), not
    with the ``model`` extra: without it, one line says so."""
    try:
        from moto import mock_aws
    except ImportError:
        raise OfflineBuildUnavailable(
            "building the definition offline needs moto, which the development extra installs (make deps, or pip "
            "install -e '.[dev]'); upsert and start need only boto3"
        ) from None

    saved = dict(os.environ)
    os.environ.update(AWS_ACCESS_KEY_ID="offline", AWS_SECRET_ACCESS_KEY="offline", AWS_DEFAULT_REGION=settings.region)
    try:
        with mock_aws():
            import boto3

            s3 = boto3.client("s3", region_name=settings.region)
            s3.create_bucket(Bucket=settings.bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
            document = json.loads(build(settings).definition())
            keys = [
                o["Key"]
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket)
                for o in page.get("Contents", [])
            ]
            uploads = {key: s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read() for key in keys}
            return document, uploads
    finally:
        os.environ.clear()
        os.environ.update(saved)


def definition(settings: PipelineSettings) -> dict[str, Any]:
    """The pipeline definition, generated without AWS (see the module docstring)."""
    return _offline(settings)[0]


# --- The bundle: what a VpcOnly Studio space can upsert with boto3 alone (no SDK, no package index) ---

BUNDLE_DEFINITION, BUNDLE_MANIFEST, BUNDLE_OBJECTS = "definition.json", "manifest.json", "objects"


def bundle(settings: PipelineSettings, out: Path) -> Path:
    """Write the definition and the code it refers to into ``out``: built where the pinned SDK is installed
    (``make deps``), offline; committed or copied into the team's folder, it is all ``upsert --bundle`` needs."""
    document, uploads = _offline(settings)
    for key, body in uploads.items():
        target = out / BUNDLE_OBJECTS / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    (out / BUNDLE_DEFINITION).write_text(json.dumps(document, indent=2) + "\n")
    manifest = {
        "name": settings.name,
        "bucket": settings.bucket,
        "team": settings.team,
        "user": settings.user,
        "objects": sorted(uploads),
    }
    (out / BUNDLE_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out


class BundleError(ValueError):
    """A bundle folder that is not whole: the one line to print. Nothing has been uploaded."""


def read_bundle(folder: Path) -> dict[str, Any]:
    """The bundle's manifest, once every file it names is there (so a broken bundle uploads nothing)."""
    try:
        manifest = json.loads((folder / BUNDLE_MANIFEST).read_text())
        missing = [
            str(path)
            for path in (folder / BUNDLE_DEFINITION, *(folder / BUNDLE_OBJECTS / key for key in manifest["objects"]))
            if not path.is_file()
        ]
        fields = (manifest["name"], manifest["bucket"], manifest["team"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BundleError(f"{folder}: not a bundle `bundle --out` wrote ({type(error).__name__}: {error})") from None
    if missing or not all(isinstance(f, str) and f for f in fields):
        what = ", ".join(missing) or "a name"
        raise BundleError(f"{folder}: the bundle is not whole (missing {what}); write it again")
    return dict(manifest)


def upsert_bundle(folder: Path, role_arn: str, sagemaker: Any = None, s3: Any = None) -> str:
    """Upload the bundle's code where its definition says, then create or update the pipeline: boto3 only, which
    every Studio image has. The pipeline carries the team's tag, as the team's policy requires."""
    import boto3

    manifest = read_bundle(folder)
    s3 = s3 or boto3.client("s3")
    sagemaker = sagemaker or boto3.client("sagemaker")
    for key in manifest["objects"]:
        s3.put_object(Bucket=manifest["bucket"], Key=key, Body=(folder / BUNDLE_OBJECTS / key).read_bytes())
    body = (folder / BUNDLE_DEFINITION).read_text()
    name = manifest["name"]
    # Whether it exists, asked by listing (the error a describe gives for a missing pipeline differs between
    # SageMaker and moto; the team's roles may list pipelines).
    listed = sagemaker.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]
    if any(p["PipelineName"] == name for p in listed):
        made = sagemaker.update_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=role_arn)
    else:
        made = sagemaker.create_pipeline(
            PipelineName=name,
            PipelineDefinition=body,
            RoleArn=role_arn,
            Tags=[{"Key": TEAM_TAG, "Value": manifest["team"]}],
        )
    return str(made["PipelineArn"])


# The SDK's defaults, given instead of read from /etc/xdg or ~/.config: no telemetry (a VpcOnly domain has no route
# for it, and the road sends nothing it does not name).
SDK_DEFAULTS: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


@contextlib.contextmanager
def _quiet_sdk() -> Iterator[None]:
    """The command prints its own lines; what the SDK logs while it builds a definition (where it looked for
    defaults, credentials found, job names it drops because SageMaker names each run's, that a PipelineSession
    starts nothing) is not for the data scientist. Errors still show."""
    import logging
    import warnings

    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Running within a PipelineSession", category=UserWarning)
            yield
    finally:
        logging.disable(logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The roadway house-price SageMaker Pipeline.")
    parser.add_argument("command", nargs="?", choices=("bundle", "upsert", "start"))
    parser.add_argument("--definition-only", action="store_true", help="print the definition JSON, offline")
    parser.add_argument("--out", type=Path, help="bundle: the folder to write the definition and its code into")
    parser.add_argument("--bundle", type=Path, help="upsert: a folder `bundle` wrote (boto3 only, no SDK)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="the road's region (config region); default: AWS_REGION or AWS_DEFAULT_REGION",
    )
    parser.add_argument("--role-arn", default=PipelineSettings.role_arn, help="PipelineRoleArn (roadway-dev-studio)")
    parser.add_argument(
        "--job-role-arn", default=PipelineSettings.job_role_arn, help="PipelineJobRoleArn (roadway-dev-studio)"
    )
    parser.add_argument("--bucket", default=PipelineSettings.bucket)
    parser.add_argument("--group", default=PipelineSettings.group, help="the project: its model package group")
    parser.add_argument("--team", default=PipelineSettings.team, help="the project's team (config projects[].team)")
    parser.add_argument(
        "--user",
        default=PipelineSettings.user,
        help="your Studio user name (config data_scientists[].user_name): the code goes to your own folder, the "
        "only one you may write, and you are the author of every run",
    )
    parser.add_argument(
        "--road", default=PipelineSettings.road, help="the road's name (config project): the pipeline is <road>-<group>"
    )
    parser.add_argument("--subnet", action="append", default=[], help="a dev VPC subnet (repeat); jobs run there")
    parser.add_argument("--security-group", action="append", default=[], help="the Studio security group (repeat)")
    parser.add_argument("--volume-kms-key", help="the dev data key ARN (export roadway-dev-platform-data-key-arn)")
    parser.add_argument(
        "--monitoring-engine",
        choices=ENGINES,
        default="roadway",
        help="who computes the drift baseline: match prod's serving.monitoring.engine (default roadway)",
    )
    parser.add_argument(
        "--facet",
        action="append",
        default=[],
        help="a column the bias report groups held-out sales by (repeat; NAME=EDGE,EDGE for bands): your project's "
        "bias.facets in the road's config",
    )
    parser.add_argument(
        "--min-group-size", type=int, default=PipelineSettings.min_group_size, help="your project's bias.min_group_size"
    )
    args = parser.parse_args(argv)
    if args.min_group_size < 1:
        parser.error(f"--min-group-size {args.min_group_size}: expected 1 or more sales")
    if args.command == "upsert" and (args.bundle is None or not (args.bundle / BUNDLE_MANIFEST).is_file()):
        parser.error("upsert needs --bundle DIR, a folder `python -m model_code.pipeline bundle --out DIR` wrote")
    if args.command == "bundle" and not (args.out and args.subnet and args.security_group and args.volume_kms_key):
        parser.error(
            "bundle needs --out, --subnet, --security-group and --volume-kms-key: the dev account runs jobs only "
            "in its VPC, with Studio's security group and its data key"
        )
    if not args.region:
        parser.error("say the region: --region <the road's region> (config region), or set AWS_DEFAULT_REGION")
    if args.command in ("upsert", "start"):
        return _on_aws(args)
    settings = PipelineSettings(
        region=args.region,
        role_arn=args.role_arn,
        job_role_arn=args.job_role_arn,
        bucket=args.bucket,
        group=args.group,
        team=args.team,
        user=args.user,
        road=args.road,
        subnets=args.subnet,
        security_groups=args.security_group,
        volume_kms_key=args.volume_kms_key,
        monitoring_engine=args.monitoring_engine,
        facets=args.facet,
        min_group_size=args.min_group_size,
        sdk_defaults=SDK_DEFAULTS,
    )
    try:
        with _quiet_sdk():
            made = (
                bundle(settings, args.out) if args.command == "bundle" else json.dumps(definition(settings), indent=2)
            )
    except OfflineBuildUnavailable as error:
        print(f"pipeline: {error}", file=sys.stderr)
        return 2
    print(made)
    return 0


def _on_aws(args: argparse.Namespace) -> int:
    """upsert and start, with boto3 alone: what fails is one line naming the command, not a trace."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if args.command == "upsert":
            print(
                upsert_bundle(
                    args.bundle,
                    args.role_arn,
                    s3=boto3.client("s3", region_name=args.region),
                    sagemaker=boto3.client("sagemaker", region_name=args.region),
                )
            )
        else:
            name = PipelineSettings(group=args.group, road=args.road).name
            started = boto3.client("sagemaker", region_name=args.region).start_pipeline_execution(PipelineName=name)
            print(started["PipelineExecutionArn"])
    except BundleError as error:
        print(f"pipeline: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"pipeline: {args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
