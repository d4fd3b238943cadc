"""What a doctor's check says: one line per check, ``ok``, ``problem`` (with the fix) or ``cannot check`` (and
why), and the stage it was asked of. A check reads AWS only through :class:`Clinic`, which turns AWS's refusals
into ``cannot check`` rather than a guess."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from promote_model.aws import outputs_of

from roadway.config import StageName
from roadway.road import Road, failure, stack_or_none
from roadway.stage_view import StageView

Verdict = Literal["ok", "problem", "cannot check"]
OK: Verdict = "ok"
PROBLEM: Verdict = "problem"
CANNOT: Verdict = "cannot check"

# AWS's error codes for "the caller may not": the check could not ask, which is not a problem it found.
DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnrecognizedClient"}
)


@dataclass(frozen=True)
class Finding:
    stage: str
    check: str
    verdict: Verdict
    detail: str

    def line(self) -> str:
        return f"{self.stage:<5} {self.verdict:<12} {self.check}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Unanswered(Exception):
    """AWS did not answer a check's question (denied, or an error that is not the answer): ``cannot check``."""


@dataclass(frozen=True)
class Clinic(StageView):
    """One stage's account as the doctor reads it: the stage as the stacks see it (account, region, names), and
    the road's session for it."""

    road: Road

    @classmethod
    def at(cls, road: Road, stage: StageName) -> Clinic:
        return cls(road.config, stage, road.names, road)

    def client(self, service: str) -> Any:
        return self.road.client(self.stage, service)

    def ask(self, service: str, operation: str, **request: Any) -> Any:
        """One read; a refusal raises :class:`Unanswered` naming the action. Missing credentials or an
        unreachable endpoint stop the whole stage with one line (bad input)."""
        with self._answered(service, operation):
            return getattr(self.client(service), operation)(**request)

    def pages(self, service: str, operation: str, key: str, **request: Any) -> Iterator[Any]:
        """Every item of a paginated read, through botocore's paginator (each API's own tokens: IAM's Marker,
        the others' NextToken); the same refusals as :meth:`ask`."""
        with self._answered(service, operation):
            for page in self.client(service).get_paginator(operation).paginate(**request):
                yield from page.get(key, [])

    @contextmanager
    def _answered(self, service: str, operation: str) -> Iterator[None]:
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in DENIED or "not authorized" in str(error):
                action = self.client(service).meta.method_to_api_mapping.get(operation, operation)
                raise Unanswered(f"these credentials may not call {service}:{action}") from None
            raise
        except BotoCoreError as error:
            raise failure(self.stage, f"{service} {operation}", error) from None

    def stack(self, name: str) -> dict[str, Any] | None:
        """The deployed stack, or None; read once per command (the road's cache, which `watch` shares), and a
        refused read is ``cannot check`` like any other."""
        return self.road.stack(
            self.stage,
            name,
            lambda: stack_or_none(lambda: self.ask("cloudformation", "describe_stacks", StackName=name)),
        )

    def outputs(self, stack: str) -> dict[str, str]:
        """A deployed stack's outputs by key ({} when it is not deployed)."""
        return outputs_of(self.stack(stack))

    def export(self, what: str) -> str | None:
        """A named export of the stage's platform stack (what the other stacks import), or None."""
        stack = self.stack(self.names.stack_name(self.stage, "platform")) or {}
        wanted = self.names.export(self.stage, what)
        return next((o["OutputValue"] for o in stack.get("Outputs", []) if o.get("ExportName") == wanted), None)


Check = Callable[[Clinic], Iterator[Finding]]


def examine(clinic: Clinic, check: Check) -> list[Finding]:
    """Run one check; what AWS would not answer becomes its ``cannot check`` line, and a check that cannot finish
    for another AWS error says so in one line rather than stopping the doctor."""
    name = check.__name__.replace("_", " ")
    found: list[Finding] = []
    try:
        found.extend(check(clinic))
    except Unanswered as why:
        found.append(Finding(clinic.stage, name, CANNOT, str(why)))
    except ClientError as error:
        found.append(Finding(clinic.stage, name, CANNOT, f"AWS answered {' '.join(str(error).split())}"))
    return found
