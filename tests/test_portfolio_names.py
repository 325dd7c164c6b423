"""The names several workbooks' report files are written under."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from alignhealth.portfolio import file_stems

_PART = st.text(alphabet="ab-.", min_size=1, max_size=3).filter(lambda p: p not in (".", ".."))
_PATHS = st.lists(
    st.lists(_PART, min_size=1, max_size=3).map(lambda parts: Path(*parts)),
    unique=True,
    max_size=8,
)


@given(_PATHS)
def test_every_workbook_gets_a_file_name_of_its_own(workbooks: list[Path]) -> None:
    stems = file_stems(workbooks, lambda w: w.as_posix())
    assert list(stems) == workbooks
    assert len(set(stems.values())) == len(workbooks)
    assert all(stem and "/" not in stem for stem in stems.values())
    # A file name no other workbook shares is kept as it is.
    for workbook in workbooks:
        if [w.stem for w in workbooks].count(workbook.stem) == 1:
            assert stems[workbook] == workbook.stem


def test_workbooks_that_share_a_name_are_named_for_their_paths() -> None:
    workbooks = [
        Path("clients/acme/goals.xlsx"),
        Path("clients/beta/goals.xlsx"),
        Path("solo.xlsx"),
        Path("c/goals.csv"),
        Path("c/goals.xlsx"),
    ]
    assert list(file_stems(workbooks, lambda w: w.as_posix()).values()) == [
        "clients-acme-goals",
        "clients-beta-goals",
        "solo",
        "c-goals-csv",
        "c-goals-xlsx",
    ]
