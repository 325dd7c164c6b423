"""The settings every rule shares: the as-of date and the thresholds of rules.md's terms."""

from __future__ import annotations

import codecs
import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alignhealth.loaders.values import DateOrder


class Settings(BaseModel):
    """Resolved shared settings for one run."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.date = Field(description="the date every date rule measures against")
    priority_rank: int = Field(3, ge=1, description="ranks 1..N are priorities")
    leader_max_rank: int = Field(2, ge=0, description="people at this rank or above lead")
    date_order: DateOrder | None = Field(None, description="how ambiguous text dates read")
    levels: tuple[str, ...] | None = Field(None, description="an explicit level order")
    csv_encoding: str = Field("utf-8-sig", description="the encoding of CSV input")

    @field_validator("csv_encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value
