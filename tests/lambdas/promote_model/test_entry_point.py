"""A package whose serving container would not find its entry point is refused before anything is copied: moto
serves any package, a real scikit-learn container does not start without SAGEMAKER_PROGRAM and its file."""

from __future__ import annotations

import gzip
import io
from typing import Any

import pytest
from promote_model import entry_point
from promote_model.handler import handler

from devtools.moto_accounts import approval_event
from model_code import registration
from tests.lambdas.promote_model.test_guardrails import assert_refused
from tests.moto_road import Road, model_tarball

IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"  # unit tests only


def package(**environment: str) -> dict[str, Any]:
    container = {"Image": IMAGE, "ModelDataUrl": "s3://b/pipelines/r/model.tar.gz", "Environment": environment}
    return {"InferenceSpecification": {"Containers": [container]}}


def test_one_spelling_for_the_container_contract() -> None:
    """The promoter (runtime code) and the registration (model code) cannot import each other: this keeps them equal."""
    expected = {entry_point.PROGRAM: registration.ENTRY_POINT, **entry_point.ENVIRONMENT}
    assert expected == registration.CONTAINER_ENVIRONMENT
    assert entry_point.declared_problem(package(**registration.CONTAINER_ENVIRONMENT)) == ""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "container 1 sets no SAGEMAKER_PROGRAM"),
        ({"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}, "sets no SAGEMAKER_PROGRAM"),
        ({"SAGEMAKER_PROGRAM": "code/inference.py"}, "must name a .py file in the code directory"),
        ({"SAGEMAKER_PROGRAM": "inference"}, "must name a .py file"),
        ({"SAGEMAKER_PROGRAM": "inference.py"}, "SAGEMAKER_SUBMIT_DIRECTORY must be /opt/ml/model/code"),
        # Registered before the offline install's settings: refused with the way out.
        (
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
            "lacks PIP_NO_BUILD_ISOLATION=0 and PIP_NO_INDEX=1 (has {'PIP_NO_BUILD_ISOLATION': None, "
            "'PIP_NO_INDEX': None}): its code cannot pip-install at the network-isolated endpoint's start; "
            "re-register it",
        ),
        ({**registration.CONTAINER_ENVIRONMENT, "PIP_NO_BUILD_ISOLATION": "1"}, "lacks PIP_NO_BUILD_ISOLATION=0"),
        ({**registration.CONTAINER_ENVIRONMENT, "PIP_NO_INDEX": "0"}, "lacks PIP_NO_BUILD_ISOLATION=0"),
        *(
            ({**registration.CONTAINER_ENVIRONMENT, key: "x"}, f"sets {key}: a served package's environment is exactly")
            for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PYTHONPATH",
                        "SAGEMAKER_REQUIREMENTS")
        ),
        (
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://dev-bucket/code.tar.gz"},
            "the code travels inside model.tar.gz",
        ),
    ],
)
def test_an_environment_the_container_cannot_start_from_is_named(environment: dict[str, str], expected: str) -> None:
    assert expected in entry_point.declared_problem(package(**environment))


def test_no_container_is_a_problem_too() -> None:
    assert "no container" in entry_point.declared_problem({"InferenceSpecification": {"Containers": []}})


def opener(archive: bytes) -> Any:
    return lambda uri: io.BytesIO(archive)


@pytest.mark.parametrize("program", ["inference.py", "serve.py"])
def test_the_archive_must_hold_the_named_file_under_code(program: str) -> None:
    described = package(**{**registration.CONTAINER_ENVIRONMENT, "SAGEMAKER_PROGRAM": program})
    found = entry_point.missing_code(described, opener(model_tarball(512, program)))
    assert found == ""
    missing = entry_point.missing_code(described, opener(model_tarball(512, "other.py")))
    assert f"has no code/{program}" in missing
    assert "not a gzipped tar archive" in entry_point.missing_code(described, opener(gzip.compress(b"not a tar")))


@pytest.mark.parametrize("build_file", [*entry_point.BUILD_FILES, "lib/pyproject.toml"])
def test_a_build_file_under_code_is_refused_in_the_same_pass(build_file: str) -> None:
    """The offline install would run a shipped setup.py or pyproject.toml instead of the generated one, or fetch
    what a requirements.txt names."""
    described = package(**registration.CONTAINER_ENVIRONMENT)
    archive = model_tarball(512, "inference.py", extra={f"code/{build_file}": b"x"})
    assert f"carries code/{build_file}" in entry_point.missing_code(described, opener(archive))
    assert entry_point.missing_code(described, opener(model_tarball(512, "inference.py"))) == ""


def test_a_package_without_the_container_environment_is_refused(road: Road) -> None:
    source = road.register("dev", environment={})
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", "container 1 sets no SAGEMAKER_PROGRAM")


def test_a_package_whose_archive_lacks_the_entry_point_is_refused(road: Road) -> None:
    source = road.register("dev", code=None)
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", "has no code/inference.py")


def test_the_demos_and_the_docs_registration_carries_the_environment() -> None:
    request = registration.package_request(
        group="house-price",
        image=IMAGE,
        model_data_url="s3://b/pipelines/r/model.tar.gz",
        evaluation_uri="s3://b/pipelines/r/evaluation.json",
        training_data="data/ames.csv",
    )
    assert entry_point.declared_problem(request) == ""
    assert request["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_read_that_fails_on_the_way_is_retried_not_refused() -> None:
    """A timeout while streaming says nothing about the package: the promotion fails (and is retried)."""
    from botocore.exceptions import ReadTimeoutError

    class Stalling(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise ReadTimeoutError(endpoint_url="https://s3.eu-west-1.amazonaws.com")

    described = package(**registration.CONTAINER_ENVIRONMENT)
    with pytest.raises(entry_point.Unreadable, match="Read timeout"):
        entry_point.missing_code(described, lambda uri: Stalling())
    truncated = model_tarball(4096)[:-200]
    assert "not a gzipped tar archive" in entry_point.missing_code(described, opener(truncated))
