"""People spread over stacks by a fixed function of their name: adding people moves nobody, and a stack that
would pass CloudFormation's 500 resources is refused at synth in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App

from roadway.config import DataScientist, RoadwayConfig
from roadway.naming import Names, people_stack_index
from stacks.app import build_app, check_limits, cli_context, templates_by_stack

Templates = dict[str, dict[str, Any]]


def dev_only(config: RoadwayConfig, outdir: Path) -> tuple[Templates, Any]:
    """The dev stage alone, without the packs: the only stage people live in."""
    app = App(outdir=str(outdir), context=cli_context(stage_assets=False))
    build_app(app, config, compliance=False, stages=("dev",))
    assembly = app.synth()
    return templates_by_stack(assembly), assembly


def with_people(config: RoadwayConfig, count: int, stacks: int) -> RoadwayConfig:
    people = [DataScientist(user_name=f"person-{i:03d}", team="pricing") for i in range(count)]
    studio = config.studio.model_copy(update={"people_stacks": stacks})
    return config.model_copy(update={"data_scientists": people, "studio": studio})


def placement(templates: Templates) -> dict[str, tuple[str, str, Any]]:
    """Each person's resources: logical ID -> (stack, type, definition)."""
    return {
        logical_id: (stack, resource["Type"], resource)
        for stack, template in templates.items()
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith("StudioUserperson")
    }


def test_adding_people_moves_nobody(config: RoadwayConfig, tmp_path: Path) -> None:
    names = Names.of(config)
    before, _ = dev_only(with_people(config, 12, 3), tmp_path / "before")
    after, _ = dev_only(with_people(config, 42, 3), tmp_path / "after")

    assert set(after) >= {names.people_stack(0), names.people_stack(1), names.people_stack(2)}
    old, new = placement(before), placement(after)
    assert len(old) == 12 * 3 and len(new) == 42 * 3
    for logical_id, (stack, _kind, definition) in old.items():
        assert new[logical_id][0] == stack, f"{logical_id} moved from {stack} to {new[logical_id][0]}"
        assert new[logical_id][2] == definition, f"{logical_id} changed"
    # Where each profile lives is the name's function, in the stack Names gives it.
    for stack, kind, definition in new.values():
        if kind == "AWS::SageMaker::UserProfile":
            user = definition["Properties"]["UserProfileName"]
            assert stack == names.people_stack(people_stack_index(user, 3))
    used = {stack for stack, _, _ in new.values()}
    assert len(used) == 3, "42 people fill all three stacks"


def test_the_index_is_a_fixed_function_of_the_name() -> None:
    # Fixed values: a change here would move people between stacks on the next deploy.
    assert [people_stack_index(f"person-{i:03d}", 4) for i in range(8)] == [3, 0, 3, 3, 1, 3, 2, 3]
    assert people_stack_index("ana-garcia", 1) == 0


def test_a_stack_past_500_resources_is_refused_in_one_line(config: RoadwayConfig, tmp_path: Path) -> None:
    # 170 people are 510 resources: CDK would stop synth with a traceback; the check names the stack instead.
    dev_only(with_people(config, 170, 1), tmp_path)
    (over,) = check_limits(tmp_path)
    assert over.where == f"stack {Names.of(config).people_stack(0)}"
    assert (over.what, over.limit) == ("resources", 500) and over.count > 500


def test_people_stacks_import_named_exports_that_outlive_their_last_importer(
    config: RoadwayConfig, tmp_path: Path
) -> None:
    names = Names.of(config)
    crowded = with_people(config, 12, 3)
    before, _ = dev_only(crowded, tmp_path / "before")
    studio = names.people_stack(0)
    exports = {o["Export"]["Name"] for o in before[studio]["Outputs"].values() if "Export" in o}
    assert {names.studio_export(w) for w in ("domain-id", "security-group-id", "policy-arn")} <= exports
    assert names.studio_export("team-pricing-policy-arn") in exports
    for index in (1, 2):
        text = str(before[names.people_stack(index)])
        assert "ExportsOutput" not in text, "CDK's own exports vanish with their last importer"

    # Everyone in people stack 2 leaves: the Studio stack keeps every export, and the emptied stack stays.
    leaving = [u for u in crowded.data_scientists if people_stack_index(u.user_name, 3) == 2]
    assert leaving
    staying = [u for u in crowded.data_scientists if u not in leaving]
    after, _ = dev_only(crowded.model_copy(update={"data_scientists": staying}), tmp_path / "after")
    assert after[studio] == before[studio]
    assert list(after[names.people_stack(2)]["Resources"]) == ["NobodyYet"]
