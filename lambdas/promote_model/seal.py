"""The seal: what a package was when it was registered, so what is promoted is what was evaluated, byte for byte.

On registration (the package's ``PendingManualApproval`` state change) the promotion function of that account
records, for every artifact the package names (model, metrics, baselines), the S3 version id and SHA-256 of the
object as it is then: one ``sealed`` ledger record per package. At approval the seal is checked before anything
else: each artifact must still be that version (a bucket is versioned, so an overwrite makes a new version and a
deleted version is gone), and the promotion copies and gates on exactly the sealed versions, whose digests are
checked again as they are copied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from promote_model.artifacts import artifact_name, artifact_uris, not_s3
from promote_model.aws import S3Object
from promote_model.digests import sha256_of

# Fields of a package that name artifacts: the same ones the promotion carries to the next stage.
ARTIFACT_FIELDS = ("InferenceSpecification", "ModelMetrics", "DriftCheckBaselines")


@dataclass(frozen=True)
class Sealed:
    uri: str
    version_id: str
    sha256: str

    def as_record(self) -> dict[str, str]:
        return {"version_id": self.version_id, "sha256": self.sha256}


def artifacts(package: dict[str, Any]) -> list[str]:
    return artifact_uris({k: package.get(k) for k in ARTIFACT_FIELDS})


def unfit(package: dict[str, Any]) -> str:
    """Why an artifact the package names cannot be sealed or copied (not an S3 URI), or ""."""
    return not_s3({k: package.get(k) for k in ARTIFACT_FIELDS})


def take(s3: Any, package: dict[str, Any]) -> dict[str, Sealed]:
    """Version and digest of every artifact of ``package``, read now. Raises ClientError when one is unreadable."""
    sealed: dict[str, Sealed] = {}
    for uri in artifacts(package):
        source = S3Object.parse(uri)
        version = s3.head_object(Bucket=source.bucket, Key=source.key).get("VersionId") or "null"
        digest = sha256_of(s3, source.bucket, source.key, None if version == "null" else version)
        sealed[uri] = Sealed(uri, version, digest)
    return sealed


# What a package says besides its artifacts that decides what runs and what it claims: each container's image and
# environment, and the lineage Roadway owns. SageMaker lets UpdateModelPackage change both, approvers included
# (a status condition does not limit the other fields), so they are sealed at registration too.
_RUNS = ("Image", "ImageDigest", "Environment", "ContainerHostname", "Framework", "FrameworkVersion", "ModelDataUrl")
LINEAGE_PREFIX = "roadway:"
FINGERPRINT_PARTS = {"containers": "its container images or environment", "lineage": "its roadway: lineage"}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def fingerprint(package: dict[str, Any]) -> dict[str, str]:
    """A digest per part: what runs (each container's image, digest and environment) and the lineage."""
    containers = ((package.get("InferenceSpecification") or {}).get("Containers")) or []
    lineage = package.get("CustomerMetadataProperties") or {}
    return {
        "containers": _digest([{k: c.get(k) for k in _RUNS if k in c} for c in containers]),
        "lineage": _digest({k: v for k, v in lineage.items() if k.startswith(LINEAGE_PREFIX)}),
    }


def changed_since(package: dict[str, Any], sealed: dict[str, Any] | None) -> str:
    """Why ``package`` no longer says what it said when sealed (one line), or ""."""
    if not sealed:
        return "it was sealed without its images, environment and lineage (before they were sealed); re-register it"
    now = fingerprint(package)
    for part, what in FINGERPRINT_PARTS.items():
        if sealed.get(part) != now[part]:
            return f"{what} changed after it was sealed at registration"
    return ""


def from_record(record: dict[str, Any]) -> dict[str, Sealed]:
    return {
        uri: Sealed(uri, str(entry["version_id"]), str(entry["sha256"]))
        for uri, entry in (record.get("seal") or {}).items()
    }


def broken(s3: Any, package: dict[str, Any], seal: dict[str, Sealed]) -> str:
    """Why the package no longer matches its seal (one line, the artifact named), or "" when it does.

    Only versions and their presence are read here; the bytes of each sealed version are hashed again when they
    are copied (the model archive is also streamed once before, to find its entry point: entry_point.py).
    """
    named = artifacts(package)
    unsealed = [uri for uri in named if uri not in seal]
    if unsealed:
        return f"{artifact_name(unsealed[0])} ({unsealed[0]}) was not part of the package when it was sealed"
    for uri in named:
        source = S3Object.parse(uri)
        try:
            current = s3.head_object(Bucket=source.bucket, Key=source.key).get("VersionId") or "null"
        except ClientError:
            current = "gone"
        if current != seal[uri].version_id:
            return f"{artifact_name(uri)} ({uri}) changed after the package was sealed at registration"
    return ""
