"""AWS Budgets for one account: the whole account's spend, and each team's (by its ``roadway:team`` tag).

A team's budget counts only what carries its tag, and only once the organisation's payer (management) account has
activated ``roadway:team`` as a cost-allocation tag: no template in a member account can do that step, so the
docs and the compliance report name it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from roadway.config import StageName, Team
from roadway.naming import TEAM_TAG, Names
from stacks.service_paths import BUDGETS_THROUGH_KEY, BUDGETS_TO_TOPIC

# When to tell: most of the month's money spent, the month forecast to overrun, and the month overrun.
THRESHOLDS = (("ACTUAL", 80.0), ("FORECASTED", 100.0), ("ACTUAL", 100.0))


def team_filter(team: str) -> dict[str, list[str]]:
    """Budgets' cost filter for one tag value: user-defined tags are prefixed ``user:``, value after ``$``."""
    return {"TagKeyValue": [f"user:{TEAM_TAG}${team}"]}


class SpendAlerts(Construct):
    """Budgets whose alerts reach the account's alarm topic, and each team's own addresses."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        stage: StageName,
        account_budget_usd: float | None,
        teams: Sequence[tuple[Team, Sequence[str]]],
        topic: sns.Topic,
        topic_key: kms.IKey,
    ) -> None:
        """``teams``: each team with a budget, and the addresses its alerts go to."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Budgets publishes to the encrypted alarm topic: the topic's and the key's policies must both admit it
        # (stacks/service_paths.py), and both must exist before a budget first tries.
        published = topic.add_to_resource_policy(
            BUDGETS_TO_TOPIC.statement(
                "BudgetsPublishesAlerts", [topic.topic_arn], region=stack.region, account=stack.account
            )
        )
        topic_key.add_to_resource_policy(
            BUDGETS_THROUGH_KEY.statement(
                "BudgetsPublishesEncrypted", ["*"], region=stack.region, account=stack.account
            )
        )
        self.budgets: dict[str, budgets.CfnBudget] = {}
        if account_budget_usd is not None:
            self.budgets["account"] = self._budget("Account", names.budget(stage), account_budget_usd, None, [], topic)
        for team, emails in teams:
            assert team.monthly_budget_usd is not None
            self.budgets[team.name] = self._budget(
                f"Team-{team.name}",
                names.budget(stage, team.name),
                team.monthly_budget_usd,
                team_filter(team.name),
                emails,
                topic,
            )
        assert published.policy_dependable is not None
        for budget in self.budgets.values():
            budget.node.add_dependency(published.policy_dependable)

    def _budget(
        self,
        construct_id: str,
        name: str,
        amount: float,
        cost_filters: dict[str, list[str]] | None,
        emails: Sequence[str],
        topic: sns.ITopic,
    ) -> budgets.CfnBudget:
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn),
            *(budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=e) for e in emails),
        ]
        return budgets.CfnBudget(
            self,
            construct_id,
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=amount, unit="USD"),
                cost_filters=cost_filters,
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, threshold in THRESHOLDS
            ],
        )
