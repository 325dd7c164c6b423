"""Random and mutated workbooks and CSVs: the only outcomes are a result or a clear input
error, never an exception, a hang or a crash."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.testing import write_workbook
from tests.conftest import AS_OF

_BASE: dict[str, bytes] = {}


def base_workbook(tmp: Path) -> bytes:
    if "xlsx" not in _BASE:
        path = write_workbook(
            tmp / "base.xlsx",
            [
                {
                    "ID": "G1",
                    "Title": "Grow",
                    "Level": "Company",
                    "Owner": "ann",
                    "Due": "2026-12-31",
                },
                {"ID": "G2", "Title": "Sell", "Parent": "G1", "Level": "Team", "Owner": "bob"},
            ],
            people=[{"ID": "ann", "Name": "Ann"}],
        )
        _BASE["xlsx"] = path.read_bytes()
    return _BASE["xlsx"]


def outcome_is_sound(path: Path) -> None:
    result = check(path, CheckRequest(as_of=AS_OF), host=make_host(autoload=False))
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert result.errors and all(e.message for e in result.errors)
    else:
        assert result.source.sha256


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".xlsx", ".csv", ".xls", ".ods"]))
def test_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    outcome_is_sound(path)


@FUZZ
@given(
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.one_of(st.none(), st.integers(min_value=1)),
)
def test_mutated_workbooks(tmp_path: Path, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(base_workbook(tmp_path))
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(bytes(data))
    outcome_is_sound(path)


@FUZZ
@given(
    rows=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=6), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    header=st.sampled_from([["ID", "Title"], ["ID", "Title", "Parent", "Owner"], ["Name"]]),
)
def test_random_csv(
    tmp_path: Path, rows: list[list[str]], delimiter: str, header: list[str]
) -> None:
    buffer = io.StringIO()
    buffer.write(delimiter.join(header) + "\n")
    for row in rows:
        buffer.write(delimiter.join(row) + "\n")
    path = tmp_path / "random.csv"
    path.write_text(
        buffer.getvalue(), encoding="utf-8", errors="surrogatepass" if False else "replace"
    )
    outcome_is_sound(path)
