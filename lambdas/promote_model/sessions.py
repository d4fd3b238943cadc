"""Sessions that make each service's client once.

botocore builds every operation of a client when the client is made: about 10 ms for SageMaker's, more on a cold
Lambda. One promotion asks its two sessions (its own role, the source's reader) for the same five clients at each of
a dozen steps; measured in moto, client creation was a sixth of a promotion's time.
"""

from __future__ import annotations

from typing import Any

import boto3


class Session(boto3.session.Session):
    """A ``boto3`` session whose ``client(service)`` is made once; a client with other arguments is made afresh."""

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if args or kwargs:
            return super().client(service_name, *args, **kwargs)
        made: dict[str, Any] = self.__dict__.setdefault("_clients_made", {})
        if service_name not in made:
            made[service_name] = super().client(service_name)
        return made[service_name]
