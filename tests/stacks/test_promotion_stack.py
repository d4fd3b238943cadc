"""Promotion wiring: every stage seals what it registers, announces approvals (dev, test), pulls them (test, prod),
and no account is given a right to write another's."""

from __future__ import annotations

import json

from devtools.synth import Synth
from tests.stacks.promotion_wiring import (
    ACCOUNTS,
    actions_of,
    grants_to,
)


def test_each_stage_has_one_promoter_and_the_roles_of_its_sides(synth: Synth) -> None:
    functions = {s: len(synth.resources(f"roadway-{s}-promotion", "AWS::Lambda::Function")) for s in ACCOUNTS}
    assert functions == {"dev": 1, "test": 2, "prod": 2}  # the promoter; where a stage serves, its rollback recorder
    roles = {
        s: sorted(
            r["Properties"]["RoleName"]
            for r in synth.resources(f"roadway-{s}-promotion", "AWS::IAM::Role").values()
            if "RoleName" in r["Properties"]
        )
        for s in ACCOUNTS
    }
    assert roles == {
        "dev": ["roadway-dev-house-price-reader", "roadway-dev-promoter"],
        "test": ["roadway-test-house-price-reader", "roadway-test-promoter", "roadway-test-serving-deployer"],
        "prod": ["roadway-prod-promoter", "roadway-prod-serving-deployer"],
    }


def test_prod_receives_from_test_only_and_sends_nowhere(synth: Synth) -> None:
    template = json.dumps(synth.templates["roadway-prod-promotion"])
    assert ACCOUNTS["dev"] not in template, "prod never names dev"
    assert "reader" not in json.dumps(
        [r["Properties"].get("RoleName") for r in synth.resources("roadway-prod-promotion", "AWS::IAM::Role").values()]
    )


# --- No account may write another's ------------------------------------------------------------------------


def test_prod_grants_nothing_to_any_other_account_but_test_announcements(synth: Synth) -> None:
    assert grants_to(synth, "prod", ACCOUNTS["dev"]) == []
    assert [set(actions_of(s)) for s in grants_to(synth, "prod", ACCOUNTS["test"])] == [{"events:PutEvents"}]
