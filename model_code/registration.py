"""The one way a house-price model package is described, whoever registers it: the pipeline's Register step,
a data scientist's notebook, or ``make demo``.

What a real endpoint needs and moto cannot check lives here once:

- the serving image, resolved for the region by the SageMaker Python SDK when the package is registered (never
  at synth): the scikit-learn image ``1.9-0`` (see docs/data-scientist.md for its Python and libraries);
- the container environment that makes the image find ``inference.py`` inside model.tar.gz
  (``SAGEMAKER_PROGRAM``, ``SAGEMAKER_SUBMIT_DIRECTORY``) and install it with no network
  (``PIP_NO_BUILD_ISOLATION``, ``PIP_NO_INDEX``); the promotion refuses a package whose environment is anything
  else (lambdas/promote_model/entry_point.py, a test keeps the two spellings equal).

    from model_code.registration import package_request
    boto3.client("sagemaker").create_model_package(**package_request(...))
"""

from __future__ import annotations

from typing import Any

SERVING_CODE = ("inference.py", "features.py", "scoring.py", "explain.py")
"""What model.tar.gz carries under code/ (train.py packs it), the entry point first. Declared here, with the rest of
what a package is, so that reading it imports no numeric library."""
FRAMEWORK = "sklearn"
IMAGE_VERSION = "1.9-0"
"""The SageMaker scikit-learn image for training, processing and serving: Python 3.12, scikit-learn 1.9.0."""
IMAGE_PYTHON = "3.12"
"""The image's Python: model_code/ and the profiler must run on it (vermin checks; requirements-serving.in has the
image's libraries)."""
ENTRY_POINT = SERVING_CODE[0]
CONTAINER_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": ENTRY_POINT,
    # train.py packs SERVING_CODE under code/ in model.tar.gz, which SageMaker unpacks into /opt/ml/model.
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    # The image pip-installs the code directory before importing it (model_code/serve.py says how). The endpoint
    # runs network-isolated: pip must build with the image's own setuptools ("0" turns isolation off: pip reads the
    # flag inverted) and look at no index, or the install, and so the endpoint's start, fails.
    "PIP_NO_BUILD_ISOLATION": "0",
    "PIP_NO_INDEX": "1",
}
CONTENT_TYPES = ["text/csv", "application/json"]
RESPONSE_TYPES = ["application/json", "text/csv", "application/vnd.roadway.explained+json"]
"""What the endpoint answers (inference.py): the last one adds each house's largest contributions (explain.py)."""


def serving_image(region: str) -> str:
    """The image URI for ``region``, as the SageMaker SDK knows it (offline; imports the SDK, about 2 s)."""
    from sagemaker.core import image_uris

    return str(image_uris.retrieve(FRAMEWORK, region=region, version=IMAGE_VERSION))


# The lineage key naming the data a package was trained on (promote_model/contract.py Lineage.TRAINING_DATA; model
# code imports nothing of ours, so tests/test_contract.py holds the two equal).
TRAINING_DATA = "roadway:training-data"


def package_request(
    *,
    group: str,
    image: str,
    model_data_url: str,
    evaluation_uri: str,
    training_data: str,
    statistics_uri: str | None = None,
    constraints_uri: str | None = None,
    bias_uri: str | None = None,
    explainability_uri: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    """The ``create_model_package`` arguments of a pending package that a real endpoint can serve.

    ``bias_uri`` and ``explainability_uri``: the Governance step's reports (model_code/governance.py), attached as
    ``ModelMetrics`` ``Bias.Report`` and ``Explainability.Report``; sealed and carried like the other evidence."""

    def as_json(uri: str) -> dict[str, str]:
        return {"ContentType": "application/json", "S3Uri": uri}

    request: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {
            "Containers": [
                {"Image": image, "ModelDataUrl": model_data_url, "Environment": dict(CONTAINER_ENVIRONMENT)}
            ],
            "SupportedContentTypes": CONTENT_TYPES,
            "SupportedResponseMIMETypes": RESPONSE_TYPES,
        },
        "ModelMetrics": {"ModelQuality": {"Statistics": as_json(evaluation_uri)}},
        "CustomerMetadataProperties": {TRAINING_DATA: training_data},
    }
    if description:
        request["ModelPackageDescription"] = description
    if bias_uri:
        request["ModelMetrics"]["Bias"] = {"Report": as_json(bias_uri)}
    if explainability_uri:
        request["ModelMetrics"]["Explainability"] = {"Report": as_json(explainability_uri)}
    if statistics_uri and constraints_uri:
        data_quality = {"Statistics": as_json(statistics_uri), "Constraints": as_json(constraints_uri)}
        request["ModelMetrics"]["ModelDataQuality"] = data_quality
        request["DriftCheckBaselines"] = {"ModelDataQuality": data_quality}
    return request
