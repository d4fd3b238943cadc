"""SpendAlerts: an account budget and each team's budget, alerting the alarm topic (and the team's addresses);
Budgets may publish to the encrypted topic, and only from this account."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.stacks.constructs.bare import ACCOUNT, Granting


def test_a_budget_per_team_and_one_for_the_account_alerting_the_topic(granting: Granting) -> None:
    budgets = [b["Properties"] for b in granting.template.find_resources("AWS::Budgets::Budget").values()]
    limits = sorted(b["Budget"]["BudgetLimit"]["Amount"] for b in budgets)
    assert len(budgets) == 2 and 1000 in limits
    for budget in budgets:
        subscribers = [s for n in budget["NotificationsWithSubscribers"] for s in n["Subscribers"]]
        assert {"SubscriptionType": "SNS", "Address": {"Ref": granting.ids["topic"]}} in subscribers


def test_budgets_may_publish_to_the_topic_only_for_this_account(granting: Granting) -> None:
    granting.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "BudgetsPublishesAlerts",
                                "Principal": {"Service": "budgets.amazonaws.com"},
                                "Condition": Match.object_like(
                                    {"StringEquals": Match.object_like({"aws:SourceAccount": ACCOUNT})}
                                ),
                            }
                        )
                    ]
                )
            }
        },
    )
