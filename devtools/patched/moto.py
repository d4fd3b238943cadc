"""What the road does inside moto: a speed-up (JSON templates read as JSON), what SageMaker records and moto does
not (who registered and approved a package, a pipeline's runs), the two SageMaker deletes moto 5.2.5 lacks, and a
copy of every account moto holds (the tests' road is laid once per worker and restored for each test)."""

from __future__ import annotations

import copy
import copyreg
import json
import sys
import threading
from typing import Any

from devtools.patched import require

TESTED = "5.2.5"


def check() -> None:
    require(
        "moto",
        TESTED,
        "devtools/patched/moto.py",
        "cloudformation Stack.parse_template, SageMaker's backend (model_packages, pipelines, FakePipelineExecution), "
        "SageMakerResponse._get_param and BackendDict._instances",
    )


check()


def json_templates_first() -> None:
    """moto parses every stack template with PyYAML's pure-Python loader, JSON ones too, at every create and
    update: 50 ms for a serving stack, more than the rest of a promotion's stack update. The CDK writes JSON, so
    read it as JSON first and fall back to moto's own parser (YAML, with its tags) for anything else."""
    import json as json_module

    from moto.cloudformation.models import Stack as FakeStack

    if getattr(FakeStack.parse_template, "json_first", False):
        return
    yaml_first = FakeStack.parse_template

    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json_module.loads(template)
        except ValueError:
            return yaml_first(template)
        return parsed if isinstance(parsed, dict) else yaml_first(template)

    parse_template.json_first = True  # type: ignore[attr-defined]
    FakeStack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign,assignment]


def record_identities(
    package_arn: str, *, created_by: dict[str, Any] | None = None, last_modified_by: dict[str, Any] | None = None
) -> None:
    """Write who created and who last changed a package into moto's registry, as SageMaker would have.

    moto 5.2.5 records no caller: every package is created by one fake Studio user, and every update copies that
    into ``LastModifiedBy``, so every package would look self-approved. This sets just those two fields, in the
    in-process backend (in-process moto, or a moto_server thread of this process).
    """
    from moto.sagemaker.models import sagemaker_backends

    _, _, _, region, account, _ = package_arn.split(":", 5)
    backend = sagemaker_backends[account][region]
    package = backend.model_packages[backend.model_package_name_mapping.get(package_arn, package_arn)]
    if created_by is not None:
        package.created_by = created_by
    if last_modified_by is not None:
        package.last_modified_by = last_modified_by


def record_run(
    session: Any,
    pipeline: str,
    run: str,
    *,
    role_arn: str,
    code: list[str],
    started_by: dict[str, Any],
    last_modified_by: dict[str, Any],
) -> str:
    """A run ``run`` of ``pipeline`` (created if absent) whose definition's steps name ``code``, started and last
    changed by whom SageMaker would say; its ARN. moto picks its own execution ids and records a fake caller, so
    the run is written into the in-process backend as SageMaker would have it (like :func:`record_identities`)."""
    from moto.sagemaker.models import FakePipelineExecution, sagemaker_backends

    definition = json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [{"Name": "TrainData", "Type": "String", "DefaultValue": "s3://data/teams/x/datasets/"}],
            "Steps": [
                {
                    "Name": f"Step{i}",
                    "Type": "Processing",
                    "Arguments": {"ProcessingInputs": [{"S3Input": {"S3Uri": uri}}]},
                }
                for i, uri in enumerate(code)
            ],
        }
    )
    from botocore.exceptions import ClientError

    client = session.client("sagemaker")
    try:
        client.describe_pipeline(PipelineName=pipeline)
    except ClientError:  # moto answers an unknown pipeline with a ValidationException
        client.create_pipeline(PipelineName=pipeline, PipelineDefinition=definition, RoleArn=role_arn)
    else:
        client.update_pipeline(PipelineName=pipeline, PipelineDefinition=definition, RoleArn=role_arn)
    account, region = role_arn.split(":")[4], session.region_name
    backend = sagemaker_backends[account][region]
    fake = backend.pipelines[pipeline]
    fake.last_modified_by = last_modified_by
    arn = f"arn:aws:sagemaker:{region}:{account}:pipeline/{pipeline}/execution/{run}"
    execution = FakePipelineExecution(arn, run, [], "", {}, definition, "")
    execution.created_by = started_by
    fake.pipeline_executions[arn] = execution
    return arn


def delete_model_package(self: Any) -> Any:
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


def delete_model_package_group(self: Any) -> Any:
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


def add_sagemaker_deletes() -> None:
    """SageMaker's DeleteModelPackage and DeleteModelPackageGroup, which moto 5.2.5 lacks (once per process)."""
    from moto.sagemaker.responses import SageMakerResponse

    SageMakerResponse.delete_model_package = delete_model_package  # type: ignore[attr-defined]
    SageMakerResponse.delete_model_package_group = delete_model_package_group  # type: ignore[attr-defined]
