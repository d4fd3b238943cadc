"""One stage as its stacks (and `roadway doctor`) see it, computed once from the config: its account, its names,
its neighbours.

Stacks receive this instead of the config and a stage name, so no stack asks the config again which stage comes
before or after its own, or what that stage's account is; the doctor reads a stage's account through the same view.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from roadway.config import RoadwayConfig, StageConfig, StageName
from roadway.naming import Names


@dataclass(frozen=True)
class StageView:
    config: RoadwayConfig
    stage: StageName
    names: Names

    @classmethod
    def of(cls, config: RoadwayConfig, stage: StageName) -> StageView:
        return cls(config, stage, Names.of(config))

    @cached_property
    def settings(self) -> StageConfig:
        return self.config.stage(self.stage)

    @property
    def account(self) -> str:
        return self.settings.account

    @property
    def region(self) -> str:
        return self.config.region

    @cached_property
    def previous(self) -> StageName | None:
        """The stage this one receives from; None for the first, where packages are registered."""
        return self.config.previous_stage(self.stage)

    @cached_property
    def next(self) -> StageName | None:
        """The stage this one sends to; None for the last."""
        return self.config.next_stage(self.stage)

    @property
    def first(self) -> bool:
        return self.previous is None

    @property
    def previous_account(self) -> str | None:
        return None if self.previous is None else self.config.stage(self.previous).account

    @property
    def next_account(self) -> str | None:
        return None if self.next is None else self.config.stage(self.next).account

    @property
    def arrival_status(self) -> str:
        """How a promoted package arrives here: pending where someone approves it on, Approved at the end."""
        return "PendingManualApproval" if self.next else "Approved"

    @property
    def neighbourhood_accounts(self) -> list[str]:
        """This stage's account and its neighbours', in road order."""
        return [a for a in (self.previous_account, self.account, self.next_account) if a is not None]
