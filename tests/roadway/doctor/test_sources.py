"""What the doctor takes from elsewhere, held to its source: the bootstrap version and qualifier the synthesized
assembly demands, the version the pinned CDK CLI's template writes, and what the config asks of the quotas."""

from __future__ import annotations

import json
import re

import yaml

from devtools.synth import Synth
from devtools.variants import with_engine, with_second_project
from roadway import naming
from roadway.config import RoadwayConfig
from roadway.doctor import before
from roadway.doctor.quotas import (
    ENDPOINT,
    PROCESSING,
    SERVERLESS_CONCURRENCY,
    STUDIO_APPS,
    TRAINING,
    lambda_need,
    needs,
)
from tests.roadway.doctor.helpers import BOOTSTRAP_TEMPLATE


def deploy_artifacts(synth: Synth) -> list[dict]:
    found = []
    for manifest in synth.outdir.glob("assembly-*/manifest.json"):
        for artifact in json.loads(manifest.read_text())["artifacts"].values():
            if artifact["type"] in ("aws:cloudformation:stack", "cdk:asset-manifest"):
                found.append(artifact["properties"])
    return found


def test_the_bootstrap_the_doctor_demands_is_the_one_the_assembly_needs(synth: Synth) -> None:
    artifacts = deploy_artifacts(synth)
    assert artifacts
    assert max(a["requiresBootstrapStackVersion"] for a in artifacts) == before.REQUIRED_BOOTSTRAP_VERSION
    qualifiers = {
        re.fullmatch(r"/cdk-bootstrap/(\w+)/version", a["bootstrapStackVersionSsmParameter"]).group(1)
        for a in artifacts
    }
    assert qualifiers == {naming.BOOTSTRAP_QUALIFIER}


def test_the_pinned_clis_template_writes_the_version_the_doctor_names() -> None:
    template = yaml.safe_load(BOOTSTRAP_TEMPLATE.read_text())
    assert int(template["Outputs"]["BootstrapVersion"]["Value"]) == before.PINNED_BOOTSTRAP_VERSION
    assert template["Parameters"]["Qualifier"]["Default"] == naming.BOOTSTRAP_QUALIFIER


def amounts(config: RoadwayConfig, stage: str) -> dict[str, int]:
    return {need.quota: need.amount for need in needs(config, stage)}  # type: ignore[arg-type]


def test_the_quotas_each_stage_needs(config: RoadwayConfig) -> None:
    assert amounts(config, "prod") == {ENDPOINT.format("ml.m5.large"): 8}  # blue/green at max_capacity 4
    assert amounts(config, "test") == {SERVERLESS_CONCURRENCY: 5}
    dev = amounts(config, "dev")
    for instance_type in ("ml.t3.medium", "ml.m5.large", "ml.m5.xlarge"):  # team pricing's types
        for pattern in (STUDIO_APPS, TRAINING, PROCESSING):
            assert dev.pop(pattern.format(instance_type)) == 1
    assert dev == {}


def test_projects_sharing_a_type_add_up_and_model_monitor_needs_processing(config: RoadwayConfig) -> None:
    two = with_second_project(config)
    (prod,) = needs(two, "prod")
    assert (prod.quota, prod.amount) == (ENDPOINT.format("ml.m5.large"), 16)
    assert prod.why.startswith("house-price: 2 x max_capacity 4") and "; churn: 2 x max_capacity 4" in prod.why
    assert amounts(two, "test") == {SERVERLESS_CONCURRENCY: 10}
    assert needs(two, "dev")[0].why == "teams pricing, retention"
    monitored = with_engine(config, "model-monitor")
    assert amounts(monitored, "prod")[PROCESSING.format("ml.m5.large")] == 1
    assert lambda_need(config, "prod") == 7 and lambda_need(monitored, "prod") == 6 and lambda_need(config, "dev") == 5
