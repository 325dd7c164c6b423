"""``alignhealth inspect``: how a workbook was understood, before any rule runs."""

from __future__ import annotations

import json
from collections import Counter

from alignhealth.findings import quote_sheet
from alignhealth.graph import OrgGraph
from alignhealth.loaders.result import LoadedWorkbook
from alignhealth.loaders.schema import SHEETS, SheetKind
from alignhealth.reporters.safe import terminal_safe

PROBLEMS_SHOWN = 20


def describe(loaded: LoadedWorkbook, graph: OrgGraph) -> str:
    """A plain-text account of the sheets, columns, counts, levels and unreadable values."""
    out: list[str] = [terminal_safe(loaded.path), "", "Sheets"]
    width = max([len(layout.sheet) for layout in loaded.layout.values()] + [10]) + 2
    for kind, layout in loaded.layout.items():
        out.append(
            f"  {terminal_safe(repr(layout.sheet)).ljust(width)} read as {kind.value:<9} "
            f"header row {layout.header_row}, {layout.rows} row(s)"
            + (f", {layout.blank_rows} blank row(s) skipped" if layout.blank_rows else "")
        )
    for name, hidden in loaded.unread_sheets:
        why = "hidden, not read" if hidden else "not read (no known sheet name)"
        out.append(f"  {terminal_safe(repr(name)).ljust(width)} {why}")
    missing_kinds = [k.value for k in SheetKind if k not in loaded.layout]
    if missing_kinds:
        out.append(
            f"  no sheet for: {', '.join(missing_kinds)} (the rules that need them are skipped)"
        )
    for kind, layout in loaded.layout.items():
        spec = SHEETS[kind]
        out += [
            "",
            f"{kind.value.capitalize()} ({terminal_safe(repr(layout.sheet))}, header row "
            f"{layout.header_row})",
        ]
        hwidth = max([len(c.header) for c in layout.columns] + [6]) + 2
        for column in layout.columns:
            header = terminal_safe(repr(column.header)).ljust(hwidth)
            if column.field:
                out.append(f"  {column.letter:>3}  {header} -> {column.field} (by {column.how})")
            else:
                out.append(f"  {column.letter:>3}  {header} -> not read (matches no field)")
        found = {c.field for c in layout.columns if c.field}
        absent = [f.name for f in spec.fields if f.name not in found]
        if absent:
            out.append(f"  fields without a column: {', '.join(absent)}")
    counts = {
        "goals": len(graph.goals),
        "people": len(graph.people),
        "projects": len(graph.projects),
        "reviews": len(graph.reviews),
    }
    out += ["", "Counts: " + ", ".join(f"{n} {what}" for what, n in counts.items())]
    out += ["", *_levels(graph)]
    if loaded.problems:
        kinds = Counter(p.kind for p in loaded.problems)
        out += [
            "",
            "Values that could not be read: "
            + ", ".join(f"{n} {kind}" for kind, n in kinds.items()),
        ]
        for problem in loaded.problems[:PROBLEMS_SHOWN]:
            out.append(
                f"  {terminal_safe(problem.location.cell or '')}  {terminal_safe(problem.message)}"
            )
        if len(loaded.problems) > PROBLEMS_SHOWN:
            out.append(
                f"  ... and {len(loaded.problems) - PROBLEMS_SHOWN} more "
                "(alignhealth check reports each as AH001-AH003)"
            )
    else:
        out += ["", "Values that could not be read: none"]
    if loaded.notices:
        out += ["", "Notices"]
        out += [f"  {n.code}: {terminal_safe(n.message)}" for n in loaded.notices]
    return "\n".join(out) + "\n"


def _levels(graph: OrgGraph) -> list[str]:
    texts: Counter[str] = Counter(g.level for g in graph.goals.values() if g.level)
    texts.update(p.level for p in graph.people.values() if p.level)
    if not texts:
        return ["Levels: none given (level rules are skipped)"]
    source = graph.levels.explicit_source or "the default vocabulary"
    known = sorted(
        ((graph.levels.rank(t), t) for t in texts if graph.levels.rank(t) is not None),
        key=lambda item: (item[0], item[1]),
    )
    unknown = sorted(t for t in texts if graph.levels.rank(t) is None)
    lines = [f"Levels (ranks from {source}; 0 is the top):"]
    lines += [f"  {rank}  {terminal_safe(text)} ({texts[text]} use(s))" for rank, text in known]
    if unknown:
        lines.append(
            "  unknown: " + ", ".join(terminal_safe(repr(t)) for t in unknown) + " (AH305)"
        )
    return lines


def _toml(value: str) -> str:
    # JSON strings are valid TOML basic strings.
    return json.dumps(value, ensure_ascii=False)


def mapping_toml(loaded: LoadedWorkbook) -> str:
    """The ``[input.<sheet>]`` tables for what was understood, ready to edit and use with
    ``--mapping`` (every sheet, header row and mapped column named explicitly)."""
    lines = [
        f"# The mapping alignhealth inferred for {loaded.name}.",
        "# Correct what is wrong, then: alignhealth check WORKBOOK --mapping THIS_FILE",
        "# Fields: see docs/workbook.md. Unread columns are listed as comments.",
    ]
    for kind, layout in loaded.layout.items():
        lines += [
            "",
            f"[input.{kind.value}]",
            f"sheet = {_toml(layout.sheet)}",
            f"header-row = {layout.header_row}",
        ]
        pairs = [f"{c.field} = {_toml(c.header.strip())}" for c in layout.columns if c.field]
        lines.append("columns = { " + ", ".join(pairs) + " }")
        unread = [c for c in layout.columns if not c.field]
        for column in unread:
            lines.append(
                f"# not read: column {column.letter} {_toml(column.header)} "
                f"({quote_sheet(layout.sheet)}!{column.letter}{layout.header_row})"
            )
    return "\n".join(lines) + "\n"
