"""The promotion ledger: one DynamoDB item per attempt, in the account that ran it.

Key: ``source_arn`` (the package that was approved) and ``entry``. Outcomes that can only happen once per
package ("promoted", "refused") use the outcome as ``entry`` and a conditional put, so a re-delivered event
adds no second record. Failures and rollbacks can recur, so their ``entry`` carries the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from promote_model.contract import LedgerOutcome

_WRITE, _READ = TypeSerializer(), TypeDeserializer()  # every value Roadway writes is text, or a map of text
# DynamoDB refuses items over 400 KB. No field may grow a record toward that (an error message, a name): a
# record that cannot be written would make every retry fail the same way.
MAX_TEXT = 2048


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
    if isinstance(value, dict):
        return {str(k)[:256]: _bounded(v) for k, v in list(value.items())[:64]}
    return value


def iso(when: Any) -> str:
    """A time as every record of the road writes it: ISO 8601 in UTC, with a Z (not Python's ``str(datetime)``)."""
    if not isinstance(when, dt.datetime):
        return str(when or "")
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> str:
    return iso(dt.datetime.now(dt.UTC))


class Ledger:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def record(self, source_arn: str, outcome: str, **fields: Any) -> bool:
        """Write one record; False when a once-only outcome was already recorded (nothing written)."""
        at = now()
        entry = outcome if outcome in LedgerOutcome.ONCE else f"{outcome}#{at}"
        item = {"source_arn": source_arn, "entry": entry, "outcome": outcome, "at": at, **_bounded(fields)}
        request: dict[str, Any] = {
            "TableName": self.table,
            "Item": {k: _WRITE.serialize(v) for k, v in item.items() if v is not None and v != "" and v != {}},
        }
        if outcome in LedgerOutcome.ONCE:
            request["ConditionExpression"] = "attribute_not_exists(source_arn)"
        try:
            self.client.put_item(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, source_arn: str, outcome: str) -> dict[str, Any] | None:
        """The once-only record of the package, read consistently (it guards an undo, or is a seal)."""
        response = self.client.get_item(
            TableName=self.table,
            Key={"source_arn": {"S": source_arn}, "entry": {"S": outcome}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return {k: _READ.deserialize(v) for k, v in item.items()} if item else None

    def recorded(self, source_arn: str, outcome: str) -> bool:
        return self.get(source_arn, outcome) is not None

    def promotions_into(self, stack: str) -> list[dict[str, Any]]:
        """The ``promoted`` records whose rollout went to ``stack``, oldest first (what it served, in order)."""
        return [
            e
            for e in self.entries()
            if e.get("outcome") == LedgerOutcome.PROMOTED and e.get("target_stack") == stack and e.get("target_arn")
        ]

    def entries(self) -> list[dict[str, Any]]:
        """Every record, oldest first (the table holds one item per attempt: a scan stays small)."""
        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table):
            items.extend({k: _READ.deserialize(v) for k, v in item.items()} for item in page["Items"])
        return sorted(items, key=lambda item: item.get("at", ""))
