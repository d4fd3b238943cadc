"""ModelRegistry: one group per account, the same name in every account (a contract between them), retained."""

from __future__ import annotations

from tests.stacks.constructs.bare import Parts


def test_the_group_is_named_described_and_retained(parts: Parts) -> None:
    (group,) = parts.template.find_resources("AWS::SageMaker::ModelPackageGroup").values()
    assert group["Properties"]["ModelPackageGroupName"] == "house-price"
    assert group["Properties"]["ModelPackageGroupDescription"].startswith("Roadway: ")
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert "ModelPackageGroupPolicy" not in group["Properties"], "read through the reader role, not a group policy"
