"""SHA-256 of an S3 object, streamed: constant memory whatever the artifact's size.

S3's own checksums are not used as the evidence: an object completed from copied parts carries a composite
checksum (a checksum of part checksums), which differs from the source's whenever the part layout differs.
Hashing the bytes on both sides means the same thing on any object, however it was written.
"""

from __future__ import annotations

import hashlib
from typing import Any

CHUNK = 8 * 1024 * 1024


def sha256_of(s3: Any, bucket: str, key: str, version_id: str | None = None) -> str:
    """The digest of the object, or of one version of it (the version a seal names)."""
    extra = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    digest = hashlib.sha256()
    try:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            digest.update(chunk)
    finally:
        body.close()
    return digest.hexdigest()
