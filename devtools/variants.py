"""The roads the demo, the tests and the bench drive besides the shipped one: config/roadway.yaml with a team and
a project added, moved to another adopter's name, region and accounts, or with prod watched by Model Monitor.

Each variant is made as an adopter would make it (entries added to the file's content, validated as the file is),
so a variant that the config would refuse is refused here too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from roadway.config import RoadwayConfig, StageName, load_config, parse_config

# The other adopter's accounts (somewhere_else).
ELSEWHERE: dict[StageName, str] = {"dev": "444444444444", "test": "555555555555", "prod": "666666666666"}
# The demo's second team and its project (with_second_team).
SECOND_TEAM, SECOND_PROJECT, SECOND_AUTHOR = "rentals", "rent-price", "chen-wei"
# The tests' second team's reader of prod's captured traffic (with_second_project).
SECOND_TEAM_READER = (
    "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Retention_????????????????"
)


def with_team_and_project(
    config: RoadwayConfig,
    *,
    team: dict[str, Any],
    member: dict[str, Any],
    project: str,
    prod_serving: dict[str, Any] | None = None,
) -> RoadwayConfig:
    """``config`` plus a team (one ``member``) and its own ``project``, served like the road's first project (with
    ``prod_serving``'s settings on top), as an adopter onboards them: entries added, validated like the file."""
    raw = config.model_dump(mode="json", exclude_unset=True)
    raw["teams"].append(team)
    raw["data_scientists"].append({**member, "team": team["name"]})
    added = copy.deepcopy(raw["projects"][0])
    added.update(name=project, team=team["name"])
    added.pop("original", None)
    added["stages"]["prod"]["serving"].update(prod_serving or {})
    raw["projects"].append(added)
    return parse_config(raw)


def with_second_team(config: RoadwayConfig) -> RoadwayConfig:
    """The demo's road: two projects of two teams (rent-price of team rentals beside the shipped house-price)."""
    team = {"name": SECOND_TEAM, "monthly_budget_usd": 300, "budget_emails": ["rentals@example.com"]}
    return with_team_and_project(config, team=team, member={"user_name": SECOND_AUTHOR}, project=SECOND_PROJECT)


def team_repository(region: str) -> str:
    """The tests' second team's CodeCommit repository, in the road's region (the only Git host Studio reaches)."""
    return f"https://git-codecommit.{region}.amazonaws.com/v1/repos/retention-models"


def with_second_project(config: RoadwayConfig) -> RoadwayConfig:
    """The tests' road of two projects: ``churn`` of team ``retention`` (one member, chen-wei, a code repository
    and a reader of prod's captured traffic) beside the road's first project."""
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


def with_engine(config: RoadwayConfig, engine: str) -> RoadwayConfig:
    """The config with prod's monitoring (of its first project) on ``engine``."""
    project = config.projects[0]
    prod = project.stages.prod
    assert prod.serving.monitoring is not None
    monitoring = prod.serving.monitoring.model_copy(update={"engine": engine})
    serving = prod.serving.model_copy(update={"monitoring": monitoring})
    stages = project.stages.model_copy(update={"prod": prod.model_copy(update={"serving": serving})})
    return config.model_copy(update={"projects": [project.model_copy(update={"stages": stages}), *config.projects[1:]]})


def somewhere_else(config: RoadwayConfig) -> RoadwayConfig:
    """``config`` as another adopter would have it: another road name (``project``), another region and other
    account IDs. The moto tests and a run of the demo use it, so anything named outside roadway/naming.py breaks."""
    text = json.dumps(config.model_dump(mode="json", exclude_unset=True))
    moved = {config.region: "us-east-2", **{config.stage(s).account: account for s, account in ELSEWHERE.items()}}
    for old, new in moved.items():
        text = text.replace(old, new)
    raw = json.loads(text)
    raw["project"] = "harbor"
    return parse_config(raw)


# A governed organization's demands (governed): its boundary's name in every account, a path, two tags of its own.
BOUNDARY, ROLE_PATH = "org-workload-boundary", "/roadway/"
ORG_TAGS = {"cost-center": "ml 4711", "data-classification": "internal"}


def governed(config: RoadwayConfig) -> RoadwayConfig:
    """``config`` in an organization whose service control policies demand a permissions boundary and a path on
    every role, and its own tags on everything (``iam``, ``tags``)."""
    raw = config.model_dump(mode="json", exclude_unset=True)
    raw.update(iam={"permissions_boundary": BOUNDARY, "role_path": ROLE_PATH}, tags=dict(ORG_TAGS))
    return parse_config(raw)


def written(config: RoadwayConfig, path: Path) -> Path:
    """``config`` as a road file at ``path`` (what the CLI reads), validated back as it is read."""
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_unset=True)))
    assert load_config(path) == config
    return path


TEAM_REPOSITORY = team_repository("eu-west-1")  # the second team's repository on the shipped road
