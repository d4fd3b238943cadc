"""Where Model Monitor's built-in analyzer image lives, per region."""

from __future__ import annotations

# Registry account of the sagemaker-model-monitor-analyzer image per region (public AWS data, as listed in
# the SageMaker Python SDK's image_uri_config/model-monitor.json). Kept here so synth never needs the SDK.
ANALYZER_REGISTRIES: dict[str, str] = {
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
    "ca-central-1": "536280801234",
    "sa-east-1": "539772159869",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "me-south-1": "607024016150",
    "ap-south-1": "126357580389",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
}


def analyzer_image(region: str) -> str:
    """The image URI; config validation has already refused regions missing here."""
    return f"{ANALYZER_REGISTRIES[region]}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer"
