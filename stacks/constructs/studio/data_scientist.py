"""One data scientist in Studio: a role and a profile of their own, so CloudTrail names who did what."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import CfnOutput, CfnTag, Fn, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from roadway.config import DataScientist, Team
from roadway.naming import TEAM_TAG, USER_TAG, Names
from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation.sagemaker_role import pass_to_sagemaker
from stacks.constructs.studio.studio_domain import StudioDomain
from stacks.constructs.studio.studio_policies import studio_execution_role


@dataclass(frozen=True)
class StudioAccess:
    """What a person's role and profile need from the Studio stack: its domain, security group and policies."""

    domain_id: str
    security_group_id: str
    shared_policy: iam.IManagedPolicy
    ui_policy: iam.IManagedPolicy  # what Studio's own UI calls
    team_policies: Mapping[str, Sequence[iam.IManagedPolicy]]  # each team's limits and work
    teams: Mapping[str, Team]

    @classmethod
    def of(cls, studio: StudioDomain) -> StudioAccess:
        """In the Studio stack itself: direct references."""
        return cls(
            studio.domain.attr_domain_id,
            studio.security_group.security_group_id,
            studio.policy,
            studio.ui_policy,
            studio.team_policies,
            studio.teams,
        )

    @classmethod
    def imported(cls, scope: Construct, names: Names, teams: Sequence[Team]) -> StudioAccess:
        """In a people stack: by the names :meth:`export_from` gives them."""

        def value(what: str) -> str:
            return Fn.import_value(names.studio_export(what))

        def policy(construct_id: str, what: str) -> iam.IManagedPolicy:
            return iam.ManagedPolicy.from_managed_policy_arn(scope, construct_id, value(what))

        return cls(
            value("domain-id"),
            value("security-group-id"),
            policy("SharedPolicy", "policy-arn"),
            policy("StudioUiPolicy", "ui-policy-arn"),
            {
                team.name: [
                    policy(f"Team-{team.name}", f"team-{team.name}-policy-arn"),
                    policy(f"Team-{team.name}-work", f"team-{team.name}-work-policy-arn"),
                ]
                for team in teams
            },
            {team.name: team for team in teams},
        )

    def export_from(self, scope: Construct, names: Names, *, people_stacks: bool) -> None:
        """Export what :meth:`imported` reads (``people_stacks``: the road has them, whether or not one uses it
        today), and always the security group, which the pipelines stack's jobs run with. By name: these stay when
        their last importer leaves (CDK's own would vanish)."""
        values = {"security-group-id": self.security_group_id}
        if people_stacks:
            values |= {
                "domain-id": self.domain_id,
                "policy-arn": self.shared_policy.managed_policy_arn,
                "ui-policy-arn": self.ui_policy.managed_policy_arn,
                **{
                    f"team-{team}-{kind}policy-arn": p.managed_policy_arn
                    for team, (limits, work) in self.team_policies.items()
                    for kind, p in (("", limits), ("work-", work))
                },
            }
        for what, value in values.items():
            CfnOutput(scope, f"Export-{what}", value=value, export_name=names.studio_export(what))


class DataScientistProfile(Construct):
    """The person's execution role (the shared policy, their team's limits, their own spaces) and profile.

    It may live in another stack than its domain (see PeopleStack): its logical IDs depend on its path below
    ``Studio/`` only, so the stack that holds it is a placement, not an identity."""

    def __init__(self, scope: Construct, construct_id: str, *, user: DataScientist, studio: StudioAccess) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        domain_id = studio.domain_id
        self.role = studio_execution_role(
            self,
            "ExecutionRole",
            f"Roadway Studio: execution role of {user.user_name}",
            managed_policies=[studio.shared_policy, studio.ui_policy, *studio.team_policies[user.team]],
        )
        # Who's who: principal tags, for IAM conditions and for reading CloudTrail (roles are not billed, so
        # these are not what a team's budget counts; its jobs' tags are).
        Tags.of(self.role).add(TEAM_TAG, user.team)
        Tags.of(self.role).add(USER_TAG, user.user_name)
        profile_arn = stack.format_arn(
            service="sagemaker", resource="user-profile", resource_name=f"{domain_id}/{user.user_name}"
        )
        space_arn = stack.format_arn(service="sagemaker", resource="space", resource_name=f"{domain_id}/*")
        app_arn = stack.format_arn(service="sagemaker", resource="app", resource_name=f"{domain_id}/*")
        own = iam.ManagedPolicy(
            self,
            "OwnResourcesPolicy",
            description=f"Roadway Studio: what only {user.user_name} may do",
            roles=[self.role],
            statements=[
                pass_to_sagemaker("PassOwnRoleToSageMakerJobs", [self.role.role_arn]),
                iam.PolicyStatement(
                    sid="ManageOwnSpacesAndApps",
                    actions=[
                        "sagemaker:CreateSpace",
                        "sagemaker:UpdateSpace",
                        "sagemaker:DeleteSpace",
                        "sagemaker:CreateApp",
                        "sagemaker:DeleteApp",
                    ],
                    resources=[space_arn, app_arn],
                    conditions={"ArnLike": {"sagemaker:OwnerUserProfileArn": profile_arn}},
                ),
            ],
        )
        acknowledge_wildcards(
            own,
            {
                space_arn: Reason(
                    "Space names are chosen in Studio; the condition limits them to spaces this user owns "
                    "(test_a_user_manages_only_their_own_spaces)."
                ),
                app_arn: Reason(
                    "App names are chosen in Studio; the condition limits them to apps in spaces this user owns "
                    "(test_a_user_manages_only_their_own_spaces)."
                ),
            },
        )
        repository = studio.teams[user.team].code_repository
        tags = [CfnTag(key=USER_TAG, value=user.user_name), CfnTag(key=TEAM_TAG, value=user.team)]
        # No address among them: the domain propagates a profile's tags into everything it creates, and so into
        # billing data (docs/threat-model.md); the address stays in config, where budgets read it.
        self.profile = sagemaker.CfnUserProfile(
            self,
            "Profile",
            domain_id=domain_id,
            user_profile_name=user.user_name,
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=self.role.role_arn,
                security_groups=[studio.security_group_id],
                # The team's repository, cloned into every JupyterLab space the person opens (idle shutdown stays
                # the domain's: a profile's JupyterLab settings hold no lifecycle of their own).
                jupyter_lab_app_settings=sagemaker.CfnUserProfile.JupyterLabAppSettingsProperty(
                    code_repositories=[sagemaker.CfnUserProfile.CodeRepositoryProperty(repository_url=repository)]
                )
                if repository
                else None,
            ),
            tags=tags,
        )
        # Off-boarding removes the profile; the home directory stays in the retained domain's EFS.
        self.profile.apply_removal_policy(RemovalPolicy.DESTROY)
