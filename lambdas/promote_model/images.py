"""Where a package's containers come from: only the region's SageMaker image registries and the road's own.

The roles' IAM and the VPC endpoints' policies already refuse other registries; the promotion refuses such a
package before anything is copied, so an author cannot get a foreign image registered downstream either.
"""

from __future__ import annotations

import re
from typing import Any

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/[^\s]+$")


def foreign_images(package: dict[str, Any], allowed_accounts: set[str], region: str) -> list[str]:
    """Every container image of the package that is not in an allowed account's ECR of this region."""
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    foreign = []
    for container in containers:
        image = container.get("Image") if isinstance(container, dict) else None
        match = _ECR_IMAGE.match(image) if isinstance(image, str) else None
        if match is None or match.group(1) not in allowed_accounts or match.group(2) != region:
            foreign.append(str(image))
    return foreign


def refusal(foreign: list[str]) -> str:
    return (
        f"image {', '.join(foreign[:3])} is not from the region's SageMaker images or the road's own registries"
        if foreign
        else ""
    )
