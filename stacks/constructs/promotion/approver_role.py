"""The one door to approval in a stage: a role only named people may assume, and only with their own name on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.compliance.gate import Reason, acknowledge_wildcards

# The statuses an approver may set; PendingManualApproval is what authors register, never a decision.
DECISIONS = ["Approved", "Rejected"]
# Break-glass withdraws: it may reject (the promotion function then rolls serving back), never approve.
WITHDRAWAL = ["Rejected"]


class ApproverRole(Construct):
    """Approving here promotes the package to the next stage, so this role is distinct from every author's.

    Its trust demands a source identity (``sts:SourceIdentity``) equal to the name the identity provider asserted
    for the caller (``own_name``, a policy variable): the person's own name travels with the session, cannot be
    changed by later role chaining, lands in CloudTrail and in the package's ``LastModifiedBy``, where the
    promotion compares it with the package's author and refuses self-approval. The trust, not the caller's own
    policy, holds this: the administrator of the caller's permission set cannot widen it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        approvers: Mapping[str, Sequence[str]],
        own_name: str,
        group_arn: str,
        packages_arn: str,
        decides_on: Sequence[str],
        decisions: Sequence[str] = DECISIONS,
        description: str = "Roadway: approves (or rejects) model packages; approval promotes to the next stage",
    ) -> None:
        """``decisions``: the statuses the role may set (the break-glass role: ``WITHDRAWAL`` only); ``decides_on``:
        the versions of the road's projects' groups, by name (``group_arn``/``packages_arn``: what it may read)."""
        super().__init__(scope, construct_id)
        if not approvers:
            raise ValueError("an approver role needs at least one approver principal")
        accounts = sorted(approvers)
        self._own_name = own_name
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,  # a contract: the promotion checks that approvals came through this role
            assumed_by=self._people(accounts[0], approvers[accounts[0]]),
            description=description,
            max_session_duration=Duration.hours(1),
        )
        for account in accounts[1:]:
            self.role.assume_role_policy.add_statements(  # type: ignore[union-attr]
                iam.PolicyStatement(actions=["sts:AssumeRole"], principals=[self._people(account, approvers[account])])
            )
        for account in accounts:
            self.role.assume_role_policy.add_statements(  # type: ignore[union-attr]
                iam.PolicyStatement(
                    actions=["sts:SetSourceIdentity"], principals=[self._people(account, approvers[account])]
                )
            )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Roadway: decide on packages of this stage's projects, nothing else",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="DecideOnPackages",
                    actions=["sagemaker:UpdateModelPackage"],
                    resources=list(decides_on),
                    conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": list(decisions)}},
                ),
                iam.PolicyStatement(
                    sid="ReadTheGroup",
                    actions=[
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    resources=[group_arn, packages_arn],
                ),
            ],
        )
        may_set = " or ".join(decisions)
        acknowledge_wildcards(
            policy,
            {
                arn: Reason(
                    "Reads only, of every model package group of this account and its versions: naming each "
                    "project's group and versions for reads too would outgrow IAM's 6,144-character managed "
                    "policy on a road of many projects. Deciding (UpdateModelPackage, only "
                    f"{may_set}) is on the road's projects' groups, by name (test_acknowledged_grants.py)."
                )
                for arn in (group_arn, packages_arn)
                if "*" in arn
            }
            | {
                arn: Reason(
                    f"The versions of one of the road's projects' groups, numbered at registration; set only to "
                    f"{may_set}."
                )
                for arn in decides_on
            },
        )

    def _people(self, account: str, patterns: Sequence[str]) -> iam.IPrincipal:
        """The account as principal, its named ARNs as a condition, and the caller's own name as source identity
        (a request naming no one, or anyone else, fails ``StringEquals``)."""
        return iam.AccountPrincipal(account).with_conditions(
            {
                "ArnLike": {"aws:PrincipalArn": list(patterns)},
                "StringEquals": {"sts:SourceIdentity": self._own_name},
            }
        )
