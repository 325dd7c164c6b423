"""The files a run writes are written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alignhealth.errors import UsageError
from alignhealth.outfiles import save_whole, write_whole


def test_a_file_is_written_with_its_folder_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "acme.html"
    write_whole(target, "<p>ünïcode</p>")
    assert target.read_text(encoding="utf-8") == "<p>ünïcode</p>"
    write_whole(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert os.listdir(target.parent) == ["acme.html"]
    # As open() would make it: the process's umask decides who may read it.
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert target.stat().st_mode == plain.stat().st_mode


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_that_fails_halfway_leaves_the_file_as_it_was(
    tmp_path: Path, failure: BaseException
) -> None:
    target = tmp_path / "acme.json"
    target.write_text('{"whole": true}')

    def half(temporary: Path) -> None:
        temporary.write_text('{"wh')
        raise failure

    with pytest.raises(UsageError if isinstance(failure, OSError) else KeyboardInterrupt) as raised:
        save_whole(target, half)
    assert target.read_text() == '{"whole": true}'
    assert os.listdir(tmp_path) == ["acme.json"]
    if isinstance(failure, OSError):
        assert str(target) in str(raised.value) and "No space left" in str(raised.value)


def test_an_unwritable_folder_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(UsageError, match=r"cannot write .*taken/report\.html"):
        write_whole(tmp_path / "taken" / "report.html", "x")
