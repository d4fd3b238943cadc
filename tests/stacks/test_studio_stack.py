"""Dev's Studio: VPC-only, IAM auth, KMS, idle shutdown, and one profile and role per data scientist."""

from __future__ import annotations

from collections.abc import Callable

from devtools.synth import Synth
from roadway.config import DataScientist, RoadwayConfig, Team
from tests.stacks.studio import STUDIO


def test_onboarding_adds_exactly_one_profile_role_and_policy(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    newcomer = DataScientist(user_name="chen-li", team="pricing")
    after = synth_with(config.model_copy(update={"data_scientists": [*config.data_scientists, newcomer]}))

    assert set(before.templates) == set(after.templates)
    for stack in before.templates:
        if stack != STUDIO:
            assert before.templates[stack] == after.templates[stack], f"{stack} must not change"
    old, new = before.resources(STUDIO), after.resources(STUDIO)
    added = {lid: new[lid]["Type"] for lid in set(new) - set(old)}
    assert sorted(added.values()) == ["AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::SageMaker::UserProfile"]
    assert all("chenli" in lid for lid in added)
    assert not set(old) - set(new), "nothing is removed"
    assert {lid: old[lid] for lid in old} == {lid: new[lid] for lid in old}, "nothing else changes"


def test_offboarding_removes_exactly_that_persons_profile_role_and_policy(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    leaving = config.data_scientists[0]
    after = synth_with(config.model_copy(update={"data_scientists": config.data_scientists[1:]}))

    for stack in before.templates:
        if stack != STUDIO:
            assert before.templates[stack] == after.templates[stack], f"{stack} must not change"
    old, new = before.resources(STUDIO), after.resources(STUDIO)
    removed = {lid: old[lid]["Type"] for lid in set(old) - set(new)}
    assert sorted(removed.values()) == ["AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::SageMaker::UserProfile"]
    assert all(leaving.user_name.replace("-", "") in lid for lid in removed)
    assert not set(new) - set(old) and {lid: new[lid] for lid in new} == {lid: old[lid] for lid in new}
    # Their home directory is in the domain's EFS, which is retained: the domain itself does not change.
    (domain_id,) = before.resources(STUDIO, "AWS::SageMaker::Domain")
    assert new[domain_id] == old[domain_id] and old[domain_id]["DeletionPolicy"] == "Retain"


def test_removing_a_team_removes_its_policy_and_budget_only(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    extra = Team(name="forecasting", monthly_budget_usd=300, budget_emails=["forecasting@example.com"])
    with_team = synth_with(config.model_copy(update={"teams": [*config.teams, extra]}))
    without = synth_with(config)
    for stack in with_team.templates:
        old, new = with_team.resources(stack), without.resources(stack)
        removed = sorted(old[lid]["Type"] for lid in set(old) - set(new))
        expected = {
            STUDIO: ["AWS::IAM::ManagedPolicy"] * 2,  # its limits and its work
            "roadway-dev-platform": ["AWS::Budgets::Budget"],
        }.get(stack, [])
        assert removed == expected, stack
        assert not set(new) - set(old) and {lid: new[lid] for lid in new} == {lid: old[lid] for lid in new}, stack


def test_onboarding_a_team_adds_its_policy_and_its_budget_only(
    config: RoadwayConfig, synth_with: Callable[[RoadwayConfig], Synth]
) -> None:
    before = synth_with(config)
    team = Team(name="forecasting", monthly_budget_usd=300, budget_emails=["forecasting@example.com"])
    after = synth_with(config.model_copy(update={"teams": [*config.teams, team]}))

    changed = {stack for stack in before.templates if before.templates[stack] != after.templates[stack]}
    assert changed == {STUDIO, "roadway-dev-platform"}
    for stack in changed:
        old, new = before.resources(stack), after.resources(stack)
        assert not set(old) - set(new), "nothing is removed"
        assert {lid: old[lid] for lid in old} == {lid: new[lid] for lid in old}, "nothing else changes"
    added = {lid: r["Type"] for lid, r in after.resources(STUDIO).items() if lid not in before.resources(STUDIO)}
    assert list(added.values()) == ["AWS::IAM::ManagedPolicy"] * 2 and all("forecasting" in lid for lid in added)
    platform = after.resources("roadway-dev-platform")
    budget = [lid for lid in platform if lid not in before.resources("roadway-dev-platform")]
    assert [platform[lid]["Type"] for lid in budget] == ["AWS::Budgets::Budget"]
