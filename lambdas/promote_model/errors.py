"""A failed step: its name and reason, as the dead-letter queue and the ledger show it."""

from __future__ import annotations

from botocore.exceptions import ClientError


class PromotionError(Exception):
    """A failed step; the message names it, and it reaches the dead-letter queue as ErrorMessage."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"promotion failed at {step}: {reason}")
        self.step = step
        self.reason = reason


def error_text(error: Exception) -> str:
    """An AWS error as its code and message; anything else as its type and text."""
    if isinstance(error, ClientError):
        return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
    return f"{type(error).__name__}: {error}"
