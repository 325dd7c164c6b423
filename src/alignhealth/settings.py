"""The settings every rule shares: the as-of date and the thresholds of rules.md's terms."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from alignhealth.loaders.values import DateOrder


class Settings(BaseModel):
    """Resolved shared settings for one run."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.date = Field(description="the date every date rule measures against")
    priority_rank: int = Field(3, ge=1, description="ranks 1..N are priorities")
    leader_max_rank: int = Field(2, ge=0, description="people at this rank or above lead")
    date_order: DateOrder | None = Field(None, description="how ambiguous text dates read")
    levels: tuple[str, ...] | None = Field(None, description="an explicit level order")
