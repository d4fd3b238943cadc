"""The one format in which Roadway prints and writes a time: ISO 8601 in UTC, to the second
(``2026-11-24T19:10:32Z``). The CLI, the provenance record and the report use it; imports nothing of ours."""

from __future__ import annotations

import datetime as dt
from typing import Any


def iso_utc(value: Any) -> str | None:
    """Every time the CLI shows or writes, in one format: ISO 8601 in UTC, to the second (``2026-11-24T19:10:32Z``).

    Takes what the sources hold: datetimes from boto3, the ledger's ``...%fZ`` strings, and ``str(datetime)``
    values with an offset (the lineage's ``approved-at``).
    """
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip().replace(" ", "T")
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now() -> str:
    return str(iso_utc(dt.datetime.now(dt.UTC)))
