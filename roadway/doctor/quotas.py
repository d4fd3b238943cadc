"""What the config asks of an account's SageMaker and Lambda quotas, and the quotas' names as Service Quotas
spells them (the doctor reads every SageMaker quota once and finds these by name, so no quota code is assumed).

Where the names come from (AWS's own wording, read 2026-12-06): the per-type patterns are those of SageMaker's
``ResourceLimitExceeded`` messages ("The account-level service limit 'ml.g4dn.xlarge for endpoint usage' is 0
Instances"; "... 'Studio JupyterLab Apps running on ml.p3.2xlarge instances' ..."), which Service Quotas lists
under the same names; the serverless one is Service Quotas' own listing; Lambda's is "Concurrent executions"
(docs.aws.amazon.com/lambda/latest/dg/limits.html). A name this account's region does not list is reported as
``cannot check``, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from promote_model.contract import WORK_CONCURRENCY

from roadway.config import InstanceServing, RoadwayConfig, ServerlessServing, StageName

ENDPOINT = "{} for endpoint usage"
TRAINING = "{} for training job usage"
PROCESSING = "{} for processing job usage"  # Model Monitor's schedules run processing jobs
STUDIO_APPS = "Studio JupyterLab Apps running on {} instances"
SERVERLESS_CONCURRENCY = "Maximum total concurrency that can be allocated across all serverless endpoints"
LAMBDA_CONCURRENCY = "Concurrent executions"


@dataclass(frozen=True)
class Need:
    """At least ``amount`` of the quota called ``quota``, because of ``why``."""

    quota: str
    amount: int
    why: str


def needs(config: RoadwayConfig, stage: StageName) -> list[Need]:
    """The SageMaker quotas ``stage`` needs, summed over the projects and teams that share one."""
    amounts: dict[str, tuple[int, list[str]]] = {}

    def add(quota: str, amount: int, why: str) -> None:
        total, whys = amounts.get(quota, (0, []))
        amounts[quota] = (total + amount, [*whys, why])

    if stage == "dev":  # each type a team may use must be usable at all: one app or job of it
        teams: dict[str, list[str]] = {}
        for team in config.teams:
            for instance_type in team.instance_types:
                teams.setdefault(instance_type, []).append(team.name)
        for instance_type, names in teams.items():
            for pattern in (STUDIO_APPS, TRAINING, PROCESSING):
                add(pattern.format(instance_type), 1, f"team{'s' if len(names) > 1 else ''} {', '.join(names)}")
    for project in config.projects:
        at = project.stage(stage)
        if at is None:
            continue
        endpoint = at.serving.endpoint
        if isinstance(endpoint, InstanceServing):
            # A blue/green deployment stands the new fleet up beside the old one, which may have scaled to its
            # maximum: twice max_capacity while traffic shifts.
            add(
                ENDPOINT.format(endpoint.instance_type),
                2 * endpoint.max_capacity,
                f"{project.name}: 2 x max_capacity {endpoint.max_capacity} during a blue/green deployment",
            )
        elif isinstance(endpoint, ServerlessServing):
            add(SERVERLESS_CONCURRENCY, endpoint.max_concurrency, f"{project.name}: max_concurrency")
        monitoring = at.serving.monitoring
        if monitoring is not None and monitoring.engine == "model-monitor":
            add(PROCESSING.format(monitoring.instance_type), 1, f"{project.name}: Model Monitor's schedule")
    return [Need(quota, amount, "; ".join(whys)) for quota, (amount, whys) in amounts.items()]


def lambda_need(config: RoadwayConfig, stage: StageName) -> int:
    """The most Roadway's functions of ``stage`` run at once: the promotion function's work queue, the rollback
    recorder of a serving stage, and one drift job per endpoint Roadway's job watches (none is reserved)."""
    watched = sum(
        1
        for project in config.projects
        if (at := project.stage(stage)) is not None
        and at.serving.monitoring is not None
        and at.serving.monitoring.engine == "roadway"
    )
    return WORK_CONCURRENCY + (0 if stage == "dev" else 1) + watched
