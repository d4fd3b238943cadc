"""Who a person is to IAM in the road's accounts: their permission set's role and the session tags it carries."""

from __future__ import annotations

from roadway.config import RoadwayConfig


def permission_set(config: RoadwayConfig, stage: str, name: str, suffix: str = "0a1b2c3d4e5f6a7b") -> str:
    """The role IAM Identity Center makes for permission set ``name`` in ``stage``'s account."""
    account = config.stage(stage).account  # type: ignore[arg-type]
    return f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{config.region}/AWSReservedSSO_{name}_{suffix}"



def as_person(config: RoadwayConfig, tagged: str | None, naming: str | None) -> dict[str, str]:
    """An AssumeRole request from a session the identity provider tagged ``tagged``, setting ``naming`` as the
    source identity (``None``: no such tag, no source identity)."""
    tag = {f"aws:PrincipalTag/{config.identity.tag}": tagged} if tagged else {}
    return {**tag, **({"sts:SourceIdentity": naming} if naming else {})}
