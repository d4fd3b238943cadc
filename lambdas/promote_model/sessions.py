"""Sessions that make each service's client once.

botocore builds every operation of a client when the client is made: about 10 ms for SageMaker's, more on a cold
Lambda. One promotion asks its two sessions (its own role, the source's reader) for the same five clients at each of
a dozen steps; measured in moto, client creation was a sixth of a promotion's time.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

# What makes the function's own credentials and place: Lambda sets them once per execution environment.
OWN_IDENTITY = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
_own: dict[tuple[str | None, ...], Session] = {}


class Session(boto3.session.Session):
    """A ``boto3`` session whose ``client(service)`` is made once; a client with other arguments is made afresh."""

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().client(service_name, *args, **kwargs)
        made: dict[str, Any] = self.__dict__.setdefault("_clients_made", {})
        if service_name not in made:
            made[service_name] = super().client(service_name)
        return made[service_name]


def own_session() -> Session:
    """The function's own role, one session per execution environment: Lambda gives an environment one set of
    credentials, so a warm invocation reuses the clients the first one made (AWS's advice: make clients outside the
    handler). Keyed by those credentials, so that a process acting as several functions in turn (the moto tests,
    the demo) never lends one function's clients to another."""
    identity = tuple(os.environ.get(name) for name in OWN_IDENTITY)
    if identity not in _own:
        _own[identity] = Session()
    return _own[identity]


def forget_own_sessions() -> None:
    """A new execution environment (the tests start each test in one)."""
    _own.clear()
