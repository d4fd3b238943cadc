"""Which AWS-owned ECR registries serve the SageMaker images Roadway runs, per region (part of the contract:
config refuses a region missing here, and the stacks and the promotion admit these accounts only).

Public AWS data, copied from the SageMaker Python SDK 3.27.0 (``sagemaker/core/image_uri_config/sklearn.json``;
every scikit-learn version and scope there uses one account per region). Kept here so synth needs neither the
SDK nor a lookup. IAM policies, VPC endpoint policies and the promotion's image check admit these accounts and
the road's own, nothing else.
"""

from __future__ import annotations

SKLEARN_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

# Registry account of the sagemaker-model-monitor-analyzer image per region (public AWS data: the SageMaker Python
# SDK 3.27.0's image_uri_config/model-monitor.json, every region it lists; tests/roadway/test_images.py holds them
# equal). Kept here so synth never needs the SDK.
ANALYZER_REGISTRIES: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-central-2": "590183933784",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-south-2": "437450045455",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "il-central-1": "843974653677",
    "me-central-1": "588750061953",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-isof-east-1": "853188333426",
    "us-isof-south-1": "467912361380",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}


def image_accounts(region: str) -> list[str]:
    """The AWS accounts whose ECR images Roadway's roles may pull in ``region`` (sorted, without duplicates)."""
    accounts = {SKLEARN_REGISTRIES[region]} if region in SKLEARN_REGISTRIES else set()
    if region in ANALYZER_REGISTRIES:
        accounts.add(ANALYZER_REGISTRIES[region])
    return sorted(accounts)


def analyzer_image(region: str) -> str:
    """The image URI; config validation has already refused regions missing here."""
    return f"{ANALYZER_REGISTRIES[region]}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer"
