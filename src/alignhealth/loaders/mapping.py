"""The ``[input]`` mapping: which sheet, header row and columns hold each field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alignhealth.errors import did_you_mean
from alignhealth.loaders.schema import SHEETS, SheetKind


class SheetMapping(BaseModel):
    """Where one kind of sheet is: its name, its header row, and columns by field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    sheet: str | None = Field(None, description="the sheet's name as the workbook spells it")
    header_row: int | None = Field(
        None, alias="header-row", ge=1, description="the 1-based row holding the headers"
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="field -> the header text of its column"
    )


def _check_columns(kind: SheetKind, mapping: SheetMapping | None) -> SheetMapping | None:
    if mapping is None:
        return None
    known = SHEETS[kind].field_names
    for field in mapping.columns:
        if field not in known:
            raise ValueError(
                f"unknown {kind.value} field {field!r}{did_you_mean(field, known)}; "
                f"fields are {', '.join(known)}"
            )
    return mapping


class InputMapping(BaseModel):
    """``[input.goals]``, ``[input.people]``... as workbook.md defines them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goals: SheetMapping | None = None
    people: SheetMapping | None = None
    projects: SheetMapping | None = None
    reviews: SheetMapping | None = None
    levels: SheetMapping | None = None

    @field_validator("goals", "people", "projects", "reviews", "levels")
    @classmethod
    def _fields_exist(cls, value: SheetMapping | None, info: object) -> SheetMapping | None:
        name = getattr(info, "field_name", "goals")
        return _check_columns(SheetKind(name), value)

    def for_kind(self, kind: SheetKind) -> SheetMapping | None:
        mapping: SheetMapping | None = getattr(self, kind.value)
        return mapping

    def merged_over(self, base: InputMapping) -> InputMapping:
        """This mapping's sheets where given, ``base``'s elsewhere."""
        data = {k.value: self.for_kind(k) or base.for_kind(k) for k in SheetKind}
        return InputMapping(**data)
