"""Turn one raw sheet into typed records: find the header row, map columns, parse cells."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from openpyxl.utils import get_column_letter

from alignhealth.errors import InputError, closest
from alignhealth.findings import EntityRef, Notice, SourceLocation, quote_sheet
from alignhealth.links import GoalLinks
from alignhealth.loaders import values as v
from alignhealth.loaders.mapping import SheetMapping
from alignhealth.loaders.raw import CellError, RawSheet, UncalculatedFormula
from alignhealth.loaders.result import ColumnUse, LoadProblem, SheetLayout
from alignhealth.loaders.rowcode import (
    BLANK,
    EXCEL_TEXT_LIMIT,
    MEMO_LIMIT,
    FieldStep,
    compile_fill,
    remembers,
)
from alignhealth.loaders.schema import SheetKind, SheetSpec, ValueType, fold_header
from alignhealth.model import Goal, LevelDef, Origin, Person, Project, Review
from alignhealth.progress import ROW_STEP, Progress

#: Rows read between two rounds of linking the goals read so far.
LINK_ROWS = 4096

HEADER_SEARCH_ROWS = 20

_ENTITY_KIND = {
    SheetKind.GOALS: "goal",
    SheetKind.PEOPLE: "person",
    SheetKind.PROJECTS: "project",
    SheetKind.REVIEWS: "review",
    SheetKind.LEVELS: "level",
}
_RECORD_TYPES: dict[SheetKind, type[Any]] = {
    SheetKind.GOALS: Goal,
    SheetKind.PEOPLE: Person,
    SheetKind.PROJECTS: Project,
    SheetKind.REVIEWS: Review,
    SheetKind.LEVELS: LevelDef,
}
# The record attribute a field is stored under, where the two names differ.
_ATTRIBUTE = {
    SheetKind.GOALS: {"parent": "parent_ids", "owner": "owners"},
    SheetKind.PROJECTS: {"goal": "goal_ids", "owner": "owners"},
    SheetKind.REVIEWS: {"goal": "goal_id"},
}


NOTICE_CELLS = 20


@dataclass
class NoticeBag:
    """Notices of one kind gathered cell by cell, reported once with a count."""

    code: str
    message: str
    cells: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, cell: str) -> None:
        self.count += 1
        if len(self.cells) < NOTICE_CELLS:
            self.cells.append(cell)

    def notice(self) -> Notice:
        more = self.count - len(self.cells)
        suffix = f" (+{more:,} more)" if more > 0 else ""
        return Notice(
            code=self.code,
            message=f"{self.message}: {self.count:,} cell(s){suffix}",
            cells=list(self.cells),
            count=self.count,
        )


def suspicious_characters(text: str) -> list[str]:
    """Invisible characters, and letters of a second script, in an id (with code points)."""
    if text.isascii():
        return []
    found = []
    scripts = set()
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cf", "Zs", "Zl", "Zp", "Cc") and char != " ":
            found.append(f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}")
        elif category.startswith("L"):
            scripts.add(unicodedata.name(char, "").split(" ")[0])
    if len(scripts) > 1:
        found += [
            f"U+{ord(c):04X} {unicodedata.name(c, '')}"
            for c in text
            if unicodedata.category(c).startswith("L") and not c.isascii()
        ]
    return list(dict.fromkeys(found))


@dataclass
class ReadContext:
    """What parsing needs to know about the run, and where problems and notices go."""

    workbook: str
    date_order: v.DateOrder | None = None
    epoch: dt.datetime | None = None
    problems: list[LoadProblem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    progress: Progress | None = None


@dataclass
class ColumnMap:
    """The header row found and, for each field, the 0-based column that holds it."""

    header_row: int
    fields: dict[str, int]
    headers: dict[int, str]
    synonyms_used: dict[str, str]
    unmapped: list[int]
    #: Field names the mapping placed (the rest were found by synonym).
    from_mapping: frozenset[str] = frozenset()

    def letters(self) -> dict[str, str]:
        return {name: get_column_letter(col + 1) for name, col in self.fields.items()}


@dataclass
class SheetRead:
    """The records read from one sheet and how its columns were understood."""

    sheet: str
    records: list[Any]
    columns: ColumnMap
    blank_rows: int = 0
    #: The records by id, in row order (not for reviews, whose ids repeat).
    by_id: dict[str, Any] | None = None
    #: The goals' links as read (a goals sheet), not yet finished.
    links: GoalLinks | None = None

    def layout(self) -> SheetLayout:
        cols = self.columns
        field_of = {col: name for name, col in cols.fields.items()}
        return SheetLayout(
            sheet=self.sheet,
            header_row=cols.header_row,
            columns=[
                ColumnUse(
                    letter=get_column_letter(col + 1),
                    header=cols.headers[col],
                    field=field_of.get(col),
                    how=None
                    if col not in field_of
                    else ("mapping" if field_of[col] in cols.from_mapping else "synonym"),
                )
                for col in sorted(cols.headers)
            ],
            rows=len(self.records),
            blank_rows=self.blank_rows,
        )


def _header_texts(values: Sequence[object]) -> dict[int, str]:
    return {
        i: fold_header(value)
        for i, value in enumerate(values)
        if isinstance(value, str) and value.strip() and not isinstance(value, CellError)
    }


def _score(spec: SheetSpec, mapping: SheetMapping | None, values: Sequence[object]) -> int:
    known = {syn for f in spec.fields for syn in f.synonyms}
    if mapping:
        known |= {fold_header(text) for text in mapping.columns.values()}
    return sum(1 for text in _header_texts(values).values() if text in known)


def find_header(
    spec: SheetSpec,
    mapping: SheetMapping | None,
    first_rows: Sequence[tuple[int, Sequence[object]]],
) -> tuple[int, Sequence[object]] | None:
    """The row among ``first_rows`` whose cells match the most known headers (the earliest
    at a tie); the first row when none matches."""
    if not first_rows:
        return None
    best = max(first_rows, key=lambda row: (_score(spec, mapping, row[1]), -row[0]))
    return best if _score(spec, mapping, best[1]) > 0 else first_rows[0]


def map_columns(
    spec: SheetSpec,
    mapping: SheetMapping | None,
    header_row: int,
    values: Sequence[object],
    sheet: str,
    workbook: str,
) -> ColumnMap:
    """Assign each field its column: the mapping's names first, then synonyms."""
    headers = _header_texts(values)
    raw_headers = {i: str(values[i]) for i in headers}
    by_text: dict[str, list[int]] = {}
    for col, text in headers.items():
        by_text.setdefault(text, []).append(col)

    def cell(col: int) -> str:
        return f"{quote_sheet(sheet)}!{get_column_letter(col + 1)}{header_row}"

    fields: dict[str, int] = {}
    used: dict[str, str] = {}
    if mapping:
        for name, header in mapping.columns.items():
            cols = by_text.get(fold_header(header))
            if not cols:
                near = closest(header, raw_headers.values())
                hint = f"; the closest is {near!r}" if near else ""
                found = ", ".join(repr(h) for h in raw_headers.values()) or "none"
                raise InputError(
                    f"{workbook}: sheet {sheet!r}: the mapping names column {header!r} for "
                    f"{spec.kind.value} field {name!r}, but row {header_row} has no such "
                    f"header{hint} (headers found: {found})",
                    code="missing-column",
                    location=f"{workbook}: {quote_sheet(sheet)}!{header_row}:{header_row}",
                )
            fields[name] = cols[0]
            used[name] = raw_headers[cols[0]]
    taken = set(fields.values())
    for spec_field in spec.fields:
        if spec_field.name in fields:
            continue
        for synonym in spec_field.synonyms:
            cols = [c for c in by_text.get(synonym, ()) if c not in taken]
            if cols:
                fields[spec_field.name] = cols[0]
                used[spec_field.name] = raw_headers[cols[0]]
                taken.add(cols[0])
                break
    for text, cols in by_text.items():
        if len(cols) > 1 and any(c in taken for c in cols):
            first, second = cols[0], cols[1]
            raise InputError(
                f"{workbook}: sheet {sheet!r}: headers {cell(first)} {raw_headers[first]!r} and "
                f"{cell(second)} {raw_headers[second]!r} both read as {text!r}; rename one "
                "of them or name the column to use in a mapping",
                code="duplicate-header",
                location=f"{workbook}: {cell(first)}",
            )
    unmapped = sorted(c for c in headers if c not in taken)
    from_mapping = frozenset(mapping.columns) if mapping else frozenset()
    return ColumnMap(header_row, fields, raw_headers, used, unmapped, from_mapping)


def read_sheet(
    raw: RawSheet,
    spec: SheetSpec,
    mapping: SheetMapping | None,
    ctx: ReadContext,
) -> SheetRead:
    """Read ``raw`` as a sheet of ``spec``'s kind into records."""
    stream = raw.rows()
    head: list[tuple[int, Sequence[object]]] = []
    wanted = mapping.header_row if mapping and mapping.header_row else None
    for number, values in stream:
        head.append((number, values))
        if wanted is not None and number >= wanted:
            break
        if wanted is None and len(head) >= HEADER_SEARCH_ROWS:
            break
    location = f"{ctx.workbook}: sheet {raw.name!r}"
    if wanted is not None:
        header = next((row for row in head if row[0] == wanted), None)
        if header is None:
            raise InputError(
                f"{location}: the mapping says the headers are on row {wanted}, but that row "
                "is blank; correct header-row in the mapping",
                code="missing-header",
                location=f"{ctx.workbook}: {quote_sheet(raw.name)}!{wanted}:{wanted}",
            )
    else:
        found = find_header(spec, mapping, head)
        if found is None:
            raise InputError(
                f"{location}: the sheet is empty; a {spec.kind.value} sheet needs a header row "
                "and data",
                code="empty-sheet",
                location=f"{ctx.workbook}: {quote_sheet(raw.name)}",
            )
        header = found
    header_row, header_values = header
    columns = map_columns(spec, mapping, header_row, header_values, raw.name, ctx.workbook)
    _require(spec, columns, raw.name, ctx)
    rows = chain((row for row in head if row[0] > header_row), stream)
    reader = _RowReader(spec, raw.name, columns, ctx)
    records = reader.read(rows)
    if reader.blank_rows:
        ctx.notices.append(
            Notice(
                code="blank-rows",
                message=f"sheet {raw.name!r}: {reader.blank_rows} row(s) with no data in the "
                "mapped columns were skipped",
                count=reader.blank_rows,
            )
        )
    if columns.unmapped:
        names = ", ".join(repr(columns.headers[c]) for c in columns.unmapped)
        ctx.notices.append(
            Notice(
                code="unmapped-columns",
                message=f"sheet {raw.name!r}: column(s) {names} match no "
                f"{spec.kind.value} field and were not read",
                cells=[
                    f"{quote_sheet(raw.name)}!{get_column_letter(c + 1)}{header_row}"
                    for c in columns.unmapped
                ],
                count=len(columns.unmapped),
            )
        )
    by_id = reader.seen if spec.kind is not SheetKind.REVIEWS else None
    return SheetRead(raw.name, records, columns, reader.blank_rows, by_id, reader.links)


def _require(spec: SheetSpec, columns: ColumnMap, sheet: str, ctx: ReadContext) -> None:
    if spec.kind is SheetKind.PEOPLE and not {"id", "email", "name"} & columns.fields.keys():
        missing = ["id"]
    else:
        missing = [name for name in spec.required if name not in columns.fields]
    if not missing:
        return
    name = missing[0]
    synonyms = spec.field(name).synonyms
    found = [columns.headers[c] for c in sorted(columns.headers)]
    near = closest(name, found)
    hint = f" The closest header is {near!r}." if near else ""
    raise InputError(
        f"{ctx.workbook}: sheet {sheet!r}: no {name!r} column in the header row "
        f"(row {columns.header_row}); expected a header such as "
        f"{', '.join(repr(s) for s in synonyms[:5])}; found "
        f"{', '.join(repr(h) for h in found) or 'no headers'}.{hint} Rename the column or "
        f'map it: [input.{spec.kind.value}] columns = {{ {name} = "..." }}',
        code="missing-column",
        location=f"{ctx.workbook}: {quote_sheet(sheet)}!{columns.header_row}:{columns.header_row}",
    )


class _RowReader:
    """Parses the data rows of one sheet, recording problems with their cells."""

    def __init__(self, spec: SheetSpec, sheet: str, columns: ColumnMap, ctx: ReadContext) -> None:
        self.spec = spec
        self.sheet = sheet
        self.ctx = ctx
        self.kind = spec.kind
        self.entity_kind = _ENTITY_KIND[spec.kind]
        self.letters = columns.letters()
        self.fields = [(spec.field(name), col) for name, col in columns.fields.items()]
        self.attribute = _ATTRIBUTE.get(spec.kind, {})
        self.make = _RECORD_TYPES[spec.kind]
        self.blank_rows = 0
        #: id -> the record of the row that first used it, in row order (a sheet's records
        #: by id, which the graph takes rather than indexing them again).
        self.seen: dict[str, Any] = {}
        #: The goals' links, made a chunk of rows at a time as the rows come (a goals sheet).
        self.links = GoalLinks() if self.kind is SheetKind.GOALS else None
        self.parsers = _parsers(ctx)
        # The record's fields in the order its constructor takes them, with their defaults:
        # records are made from a list of arguments, a third of the cost of keywords.
        arguments = dataclasses.fields(self.make)
        self.slot = {f.name: n for n, f in enumerate(arguments)}
        self.defaults = [None if f.default is dataclasses.MISSING else f.default for f in arguments]
        # Per field, once: how the row loop handles it, its parser, and the values it has
        # parsed.
        self.plan = [
            _Field(
                FieldStep(
                    f.name,
                    col,
                    self.slot[self.attribute.get(f.name, f.name)],
                    text=f.type is ValueType.TEXT,
                    progress=f.type is ValueType.PROGRESS,
                    split=_SPLIT.get(f.type),
                    # the date parser gives a date cell back as it is
                    same=dt.date if f.type is ValueType.DATE else None,
                ),
                self.parsers[f.type],
                {},
            )
            for f, col in self.fields
        ]
        #: The plan's fields but the id, which the row loop reads first.
        self.others = [mapped for mapped in self.plan if mapped.step.name != spec.id_field]
        self.width = max(columns.headers, default=-1) + 1
        self.unheaded = [c for c in range(self.width) if c not in columns.headers]
        quoted = quote_sheet(sheet)
        self.prefix = f"{quoted}!"
        self.outside = NoticeBag(
            "values-outside-columns",
            f"sheet {sheet!r}: values in columns without a header were not read",
        )
        self.odd_ids = NoticeBag(
            "suspicious-id-characters",
            f"sheet {sheet!r}: ids holding invisible or look-alike characters (they will "
            "not match the same id typed plainly)",
        )
        self.long_text = NoticeBag(
            "text-too-long",
            f"sheet {sheet!r}: text longer than Excel's {EXCEL_TEXT_LIMIT:,} characters",
        )
        self.details: dict[str, str] = {}

    def location(self, row: int, name: str | None) -> SourceLocation:
        column = self.letters.get(name) if name else None
        return SourceLocation.at(self.ctx.workbook, self.sheet, row, column)

    def problem(
        self,
        kind: Any,
        entity_id: str,
        row: int,
        name: str,
        message: str,
        value: object = None,
        **extra: Any,
    ) -> None:
        shown = None if value is None else v.parse_text(value)[:200]
        self.ctx.problems.append(
            LoadProblem(
                kind=kind,
                entity=EntityRef(kind=self.entity_kind, id=entity_id),
                location=self.location(row, name),
                field=name,
                message=message,
                value=shown,
                **extra,
            )
        )

    def read(self, rows: Iterator[tuple[int, Sequence[object]]]) -> list[Any]:
        """Parse every row into a record; one pass over each row's cells, because this is
        the loop a hundred thousand goals go through."""
        records: list[Any] = []
        progress_fields = [f.name for f, _ in self.fields if f.type is ValueType.PROGRESS]
        percent_cells: set[tuple[int, str]] = set()
        progress = self.ctx.progress
        spec_id = self.spec.id_field
        id_field = spec_id
        if self.kind is SheetKind.PEOPLE and "id" not in self.letters:
            id_field = "email" if "email" in self.letters else "name"
        columns = {mapped.step.name: mapped.step.col for mapped in self.plan}
        id_col = columns.get(id_field, -1)
        fill = compile_fill(
            [mapped.step for mapped in self.others],
            [mapped.memo for mapped in self.others],
            self._first,
            percent_cells.add,
        )
        id_slot = self.slot[self.attribute.get(spec_id, spec_id)]
        origin_slot = self.slot["origin"]
        title_slot = self.slot.get("title", -1)
        defaults = self.defaults
        unique_ids = self.kind is not SheetKind.REVIEWS
        goals = self.kind is SheetKind.GOALS
        workbook, sheet, letters, make = self.ctx.workbook, self.sheet, self.letters, self.make
        seen = self.seen
        width_read = self.width
        unheaded = bool(self.unheaded)
        links = self.links
        linked = 0
        for count, (number, values) in enumerate(rows, start=1):
            if progress is not None and count % ROW_STEP == 0:
                progress.rows(self.sheet, count)
            if links is not None and count % LINK_ROWS == 0:
                # Linked while the rest of the sheet is on its way, rather than all at
                # once after it (a million goals: 0.7 s that nothing else ran beside).
                links.add(records[linked:], seen)
                linked = len(records)
            width = len(values)
            if width > width_read or unheaded:
                self._outside(number, values)
            raw_id = values[id_col] if 0 <= id_col < width else None
            # The common id, plain ASCII text, is trimmed here; anything else is parsed.
            record_id = raw_id.strip() if raw_id.__class__ is str and raw_id.isascii() else None
            if record_id == "" or (
                record_id is None and raw_id.__class__ is str and not raw_id.strip()
            ):
                raw_id = None
            if raw_id is None:
                if not self._has_data(values):
                    self.blank_rows += 1
                else:
                    self._no_id(number, id_field)
                continue
            if record_id is None:
                if raw_id.__class__ is not str and isinstance(raw_id, CellError):
                    message = _error_message(id_field, raw_id)
                    self.problem(
                        "invalid-value", f"row {number}", number, id_field, message, raw_id
                    )
                    continue
                record_id = v.parse_id(raw_id)
                if not record_id.isascii():
                    self._check_characters(number, id_field, record_id)
            if unique_ids:
                first = seen.get(record_id)
                if first is not None:
                    self._duplicate(number, record_id, first.origin.row)
                    continue
            args = defaults.copy()
            args[origin_slot] = Origin(workbook, sheet, number, letters)
            fill(values, width, args, number, record_id, count)
            args[id_slot] = record_id
            if goals and not args[title_slot]:
                self.problem(
                    "missing-required",
                    record_id,
                    number,
                    "title",
                    f"goal {record_id!r} has no title",
                )
                args[title_slot] = ""
            record = make(*args)
            records.append(record)
            if unique_ids:
                seen[record_id] = record
        if links is not None:
            links.add(records[linked:], seen)
        for name in progress_fields:
            _scale_progress(records, name, percent_cells)
        for bag in (self.outside, self.odd_ids, self.long_text):
            if bag.count:
                notice = bag.notice()
                if bag is self.odd_ids:
                    notice.message += "; " + "; ".join(
                        f"{cell}: {self.details[cell]}" for cell in bag.cells[:5]
                    )
                self.ctx.notices.append(notice)
        return records

    def _first(
        self,
        index: int,
        raw: object,
        key: object,
        number: int,
        record_id: str,
        count: int,
    ) -> Any:
        """A cell value its field has not seen: parsed, reported where it cannot be used
        (then :data:`BLANK`), and remembered. Each distinct value of a field is parsed
        once, and its cells share the one object: columns repeat their values (levels,
        parents, owners, dates), so a million goals hold a few thousand dates and tuples,
        not millions."""
        step, parser, memo = self.others[index]
        name = step.name
        if raw.__class__ is str:
            if not raw.strip():
                if key is not None and len(memo) < MEMO_LIMIT:
                    memo[key] = BLANK
                return BLANK
            if len(raw) > EXCEL_TEXT_LIMIT:
                self.long_text.add(self.location(number, name).cell or "")
                key = None  # every such cell is told of
        elif isinstance(raw, CellError):
            self.problem("invalid-value", record_id, number, name, _error_message(name, raw), raw)
            return BLANK
        try:
            value = parser(raw)
        except v.ValueProblem as exc:
            self.problem("invalid-value", record_id, number, name, f"{name}: {exc}", raw)
            return BLANK
        # Past the limit a field goes on remembering only while its values repeat
        # (parents, owners); a column of unique titles stops there.
        if key is not None and remembers(memo, count):
            memo[key] = value
        return value

    def _has_data(self, values: Sequence[object]) -> bool:
        """Whether any read column of the row holds something (the id cell was blank)."""
        width = len(values)
        for mapped in self.plan:
            col = mapped.step.col
            if col < width:
                value = values[col]
                if value is not None and (value.__class__ is not str or value.strip()):
                    return True
        return False

    def _no_id(self, number: int, id_field: str) -> None:
        if self.kind is SheetKind.REVIEWS:
            self.problem(
                "missing-required", f"row {number}", number, "goal", "the review names no goal"
            )
        else:
            self.problem(
                "missing-required",
                f"row {number}",
                number,
                id_field,
                f"row {number} has data but no {id_field}",
            )

    def _check_characters(self, number: int, id_field: str, record_id: str) -> None:
        odd = suspicious_characters(record_id)
        if odd:
            cell = self.location(number, id_field).cell or ""
            self.odd_ids.add(cell)
            self.details[cell] = f"{record_id!r} has " + ", ".join(odd)

    def _duplicate(self, number: int, record_id: str, first_row: int) -> None:
        first = self.location(first_row, self.spec.id_field)
        self.problem(
            "duplicate-id",
            record_id,
            number,
            self.spec.id_field,
            f"{self.entity_kind} id {record_id!r} is used again; the row at "
            f"{first.cell} is kept and this row is left out",
            record_id,
            first_location=first,
            related=[EntityRef(kind=self.entity_kind, id=record_id)],
        )

    def _outside(self, number: int, values: Sequence[object]) -> None:
        columns = chain(self.unheaded, range(self.width, len(values)))
        for col in columns:
            if col < len(values) and not v.is_blank(values[col]):
                self.outside.add(f"{self.prefix}{get_column_letter(col + 1)}{number}")


class _Field(NamedTuple):
    """One mapped field of a sheet, as its rows are read."""

    step: FieldStep
    parser: Callable[[object], Any]
    #: Each distinct cell value seen, parsed (or BLANK).
    memo: dict[object, Any]


def _error_message(field: str, raw: CellError) -> str:
    if isinstance(raw, UncalculatedFormula):
        return (
            f"the {field} cell holds a formula whose result was never saved; open the "
            "workbook in Excel and save it so that the value is calculated"
        )
    return f"the {field} cell holds the Excel error {raw}"


#: The list fields, by what separates their items (see FieldStep.split).
_SPLIT = {ValueType.ID_LIST: v.LIST_SPLIT, ValueType.OWNER_LIST: v.OWNER_SPLIT}


def _parsers(ctx: ReadContext) -> dict[ValueType, Callable[[object], Any]]:
    epoch = ctx.epoch

    def date(value: object) -> dt.date:
        if value.__class__ is dt.date:  # as readers give real dates: the common case
            return value
        if epoch is None:
            return v.parse_date(value, date_order=ctx.date_order)
        return v.parse_date(value, epoch=epoch, date_order=ctx.date_order)

    return {
        ValueType.ID: v.parse_id,
        ValueType.ID_LIST: v.parse_id_list,
        ValueType.OWNER_LIST: v.parse_owner_list,
        ValueType.TEXT: v.parse_text,
        ValueType.NUMBER: v.parse_number,
        ValueType.PROGRESS: v.parse_number,
        ValueType.DATE: date,
        ValueType.STATUS: v.parse_status,
        ValueType.PRIORITY: v.parse_priority,
        ValueType.KIND: v.parse_kind,
        ValueType.ACTIVE: v.parse_active,
    }


def _scale_progress(records: list[Any], name: str, percent_cells: set[tuple[int, str]]) -> None:
    """A progress column where any plain number exceeds 1 is on a 0-100 scale."""
    plain = [
        r
        for r in records
        if getattr(r, name) is not None and (r.origin.row, name) not in percent_cells
    ]
    if any(getattr(r, name) > 1 for r in plain):
        for record in plain:
            setattr(record, name, getattr(record, name) / 100)
