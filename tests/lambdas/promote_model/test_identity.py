"""identity.check on its own: the pipeline path, which moto cannot play (its pipeline executions carry the same
fake Studio user as its packages), and the edges of who counts as a person."""

from __future__ import annotations

from typing import Any

from promote_model.identity import MAX_NAME, check, person

from devtools.moto_accounts import role_session, studio_user

DEV = "111111111111"
ARN = f"arn:aws:sagemaker:eu-west-1:{DEV}:model-package/house-price/3"
EXECUTION = f"arn:aws:sagemaker:eu-west-1:{DEV}:pipeline/roadway-house-price/execution/abc123"
PIPELINE_ROLE = role_session(DEV, "roadway-pipeline")  # the pipeline's execution role: no person on it


def judged(package: dict[str, Any], starter: dict[str, Any] | None = None, sealed_author: str | None = None) -> Any:
    asked: list[str] = []

    def pipeline_starter(arn: str) -> Any:
        asked.append(arn)
        return starter

    verdict = check(
        {"ModelPackageArn": ARN, **package},
        approver_role_name="roadway-dev-approver",
        registrar_role_name="roadway-dev-promotion-target",
        pipeline_starter=pipeline_starter,
        sealed_author=sealed_author,
    )
    return verdict, asked


def approved_by(name: str) -> dict[str, Any]:
    return role_session(DEV, "roadway-dev-approver", name)


def test_a_pipeline_package_is_the_work_of_whoever_started_the_execution() -> None:
    package = {
        "CreatedBy": PIPELINE_ROLE,
        "MetadataProperties": {"GeneratedBy": EXECUTION},
        "LastModifiedBy": approved_by("maria-lopez"),
    }
    verdict, asked = judged(package, studio_user(ARN, "ana-garcia"))
    assert verdict.passed and (verdict.author, verdict.approver) == ("ana-garcia", "maria-lopez")
    assert asked == [EXECUTION]

    package["LastModifiedBy"] = approved_by("ana-garcia")
    verdict, _ = judged(package, studio_user(ARN, "ana-garcia"))
    assert verdict.reason == "approved by its own author ana-garcia; a second person must approve"


def test_a_pipeline_started_by_no_one_known_is_refused() -> None:
    package = {"CreatedBy": PIPELINE_ROLE, "MetadataProperties": {"GeneratedBy": EXECUTION}}
    package["LastModifiedBy"] = approved_by("maria-lopez")
    verdict, _ = judged(package, role_session(DEV, "ci-runner"))
    assert not verdict.passed and "author is unknown" in verdict.reason


def test_generated_by_that_is_not_a_pipeline_execution_is_not_followed() -> None:
    package = {
        "CreatedBy": PIPELINE_ROLE,
        "MetadataProperties": {"GeneratedBy": "arn:aws:sagemaker:eu-west-1:999999999999:training-job/x"},
        "LastModifiedBy": approved_by("maria-lopez"),
    }
    verdict, asked = judged(package, studio_user(ARN, "ana-garcia"))
    assert asked == [] and "author is unknown" in verdict.reason


def test_an_approver_session_of_another_account_does_not_count() -> None:
    package = {
        "CreatedBy": studio_user(ARN, "ana-garcia"),
        "LastModifiedBy": role_session("222222222222", "roadway-dev-approver", "maria-lopez"),
    }
    verdict, _ = judged(package)
    assert "approved outside the approver role" in verdict.reason


def test_a_sealed_author_counts_only_on_packages_the_promotion_registered_and_the_lineage_never() -> None:
    lineage = {"CustomerMetadataProperties": {"roadway:created-by": "someone-else"}}
    by_a_role = {"CreatedBy": role_session(DEV, "ci-runner"), "LastModifiedBy": approved_by("maria-lopez"), **lineage}
    assert "author is unknown" in judged(by_a_role, sealed_author="ana-garcia")[0].reason
    by_promotion = {**by_a_role, "CreatedBy": role_session(DEV, "roadway-dev-promotion-target")}
    assert judged(by_promotion, sealed_author="ana-garcia")[0].author == "ana-garcia", "the seal, not the lineage"
    assert "author is unknown" in judged(by_promotion)[0].reason, "no sealed author: the lineage is not enough"


def test_people_are_bounded_and_blank_names_are_nobody() -> None:
    assert person({"UserProfileName": "  "}) is None
    assert person({"IamIdentity": {"SourceIdentity": ""}}) is None
    assert person(None) is None and person("ana") is None
    assert len(person({"UserProfileName": "x" * 10_000}) or "") == MAX_NAME
