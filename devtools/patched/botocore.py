"""What the harness does inside botocore: two speed-ups (one parse of the service models, one client class per
service) and a spy on every call a client makes. botocore has no public hook for any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devtools.patched import require

TESTED = "1.44.8"


def check() -> None:
    require(
        "botocore",
        TESTED,
        "devtools/patched/botocore.py",
        "session.create_loader, ClientCreator._create_client_class, the emitter's _handlers and "
        "BaseClient._make_api_call",
    )


check()


def share_service_models() -> None:
    """One botocore loader for every session of this process. Each new session parses botocore's service models
    again (json.loads of large files): measured, 1.7 s of a 3.3 s moto road with one promotion. The moto world makes
    sessions freely (one per account, one per function call), as Lambda does once per cold start; the models are
    read-only data, so one parse serves them all."""
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    shared.shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared


def share_client_classes() -> None:
    """One client class per service and set of class-building handlers in this process. botocore builds a new class
    with a method per operation for every client it makes (400 for SageMaker): measured, a tenth of the promotion
    tests' time, as each test starts the functions in a new execution environment and each promotion assumes a
    role. What a client does depends only on the service's model (one loader serves every session here,
    share_service_models) and the handlers that shape its class ('creating-client-class'), the same for every boto3
    session here; a session with other handlers gets a class of its own. The class's methods keep the first
    session's event emitter for their docstrings, which only help() reads; each client has its own for calls."""
    import botocore.client

    creator = botocore.client.ClientCreator
    if getattr(creator._create_client_class, "shared", False):
        return
    build = creator._create_client_class
    made: dict[tuple[Any, ...], type] = {}

    def shared(self: Any, service_name: str, service_model: Any) -> type:
        emitter = getattr(self._event_emitter, "_emitter", self._event_emitter)  # under boto3's EventAliaser
        event = f"creating-client-class.{service_model.service_id.hyphenize()}"
        key = (service_name, service_model.api_version, *map(_shaper, emitter._handlers.prefix_search(event)))
        if key not in made:
            made[key] = build(self, service_name, service_model)
        return made[key]

    shared.shared = True  # type: ignore[attr-defined]
    creator._create_client_class = shared


def _shaper(handler: Any) -> tuple[str, ...]:
    """A handler by what it does: where it is defined and what it closes over (boto3 registers some handlers as
    closures that import their target on first use). Anything without a name is told apart by its identity."""
    closed = tuple(repr(cell.cell_contents) for cell in getattr(handler, "__closure__", None) or ())
    return (getattr(handler, "__module__", ""), getattr(handler, "__qualname__", None) or repr(handler), *closed)


def on_every_call(monkeypatch: Any, heard: Callable[[Any, str, dict[str, Any]], None]) -> None:
    """From here on (until ``monkeypatch`` undoes it), every call any client makes is first ``heard`` as (client,
    operation, parameters). Code under test makes its own sessions, so a session's public ``before-call`` event
    cannot reach them all."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def spied(self: Any, operation: str, params: Any) -> Any:
        heard(self, operation, params)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spied)


def credentials_of(client: Any) -> Any:
    """The credentials a client signs with (botocore keeps them in its private signer)."""
    return client._request_signer._credentials
