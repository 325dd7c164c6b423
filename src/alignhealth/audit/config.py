"""The audit configuration (a TOML file), validated like a ruleset."""

from __future__ import annotations

import datetime as dt
import glob
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alignhealth.errors import UsageError
from alignhealth.findings import Severity
from alignhealth.loaders.csvfile import is_csv_dataset
from alignhealth.loaders.sniff import WORKBOOK_SUFFIXES, skipped_as_report
from alignhealth.tomlfile import read_toml, validate


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class HistoryConfig(_Table):
    database: str = Field("alignhealth-history.sqlite", description="the SQLite history file")


class ReportsConfig(_Table):
    folder: str = Field("reports", description="where each run's reports are written")
    formats: list[str] = Field(
        default_factory=lambda: ["html"], description="report formats written per run"
    )


class SmtpConfig(_Table):
    host: str = Field(description="the SMTP server")
    port: int | None = Field(None, ge=1, le=65535, description="default: 587, 465 for tls, 25")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="STARTTLS after connecting, implicit TLS, or none"
    )
    username: str | None = Field(None, description="login name, if the server needs one")
    password_env: str | None = Field(
        None, description="the environment variable holding the password"
    )
    timeout: float = Field(30, gt=0, description="seconds for each connection and command")
    retries: int = Field(3, ge=0, le=10, description="retries on temporary failures")
    backoff: float = Field(2.0, ge=0, description="seconds before the first retry (doubles)")
    ca_file: str | None = Field(None, description="a CA bundle to trust, for a private CA")
    connections: int = Field(
        3, ge=1, le=16, description="connections to send a large audit's mail on at once"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "a password in the config file is refused: put it in an "
                "environment variable and name it with password-env"
            )
        return data

    def resolved_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]


class EmailConfig(_Table):
    enabled: bool = Field(True, description="send mail at all")
    sender: str = Field(alias="from", description="the From address")
    to: list[str] = Field(default_factory=list, description="digest recipients")
    subject: str = Field(
        "Alignment health: {workbook} {score}/100 ({new} new)",
        description="the digest's subject; {workbook} {score} {new} "
        "{resolved} {persisting} are filled in",
    )
    attach: list[str] = Field(
        default_factory=list, description="report formats to attach (from [reports])"
    )
    per_leader: bool = Field(False, description="also mail each owner their own findings")
    escalate_after_runs: int | None = Field(
        None, ge=1, description="copy an owner's manager on findings persisting this many runs"
    )
    skip_when_unchanged: bool = Field(False, description="send nothing when nothing changed")
    outbox: str = Field("outbox", description="where --dry-run writes .eml files")
    smtp: SmtpConfig | None = None

    @model_validator(mode="after")
    def _server_needed(self) -> EmailConfig:
        if self.enabled and self.smtp is None:
            raise ValueError("[email.smtp] is required when e-mail is enabled")
        return self


class AuditConfig(_Table):
    workbooks: list[str] = Field(min_length=1, description="paths or globs")
    ruleset: str | None = Field(None, description="a ruleset file or preset")
    as_of: dt.date | Literal["today"] = Field("today", description="the as-of date")
    fail_on: Severity = Field(Severity.LOW, description="the severity that makes exit code 1")
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    email: EmailConfig | None = None

    @field_validator("fail_on", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        return Severity.parse(value) if isinstance(value, str) else value


class Audit:
    """A loaded config: the validated settings and the folder paths are relative to."""

    def __init__(self, config: AuditConfig, path: Path) -> None:
        self.config = config
        self.path = path
        self.base = path.parent

    def resolve(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.base / candidate

    def workbooks(self, skipped: list[str] | None = None) -> list[Path]:
        """The workbooks the globs match, in order, each once; a pattern matching nothing
        is an error naming it. A wildcard reads what a folder of workbooks would (their
        file names, or a folder of CSVs), not the notes, reports or history beside them;
        Office lock files are left out, and so are the Excel reports alignhealth wrote (a
        reports folder among the workbooks), each told in ``skipped``."""
        found: dict[Path, None] = {}
        for pattern in self.config.workbooks:
            matches = sorted(glob.glob(str(self.resolve(pattern)), recursive=True))
            matches = [m for m in matches if not Path(m).name.startswith("~$")]
            if glob.has_magic(pattern):
                matches = [m for m in matches if _workbook_named(Path(m))]
            if not matches:
                raise UsageError(
                    f"{self.path}: workbooks: {pattern!r} matches no workbook (relative to "
                    f"{self.base}; a wildcard matches {', '.join(WORKBOOK_SUFFIXES)} files "
                    "and folders of CSVs)"
                )
            for match in map(Path, matches):
                note = skipped_as_report(match)
                if note is None:
                    found[match] = None
                elif skipped is not None:
                    skipped.append(note)
        if not found:
            raise UsageError(
                f"{self.path}: workbooks: the patterns match only reports alignhealth wrote"
            )
        return list(found)

    def ruleset(self) -> str | None:
        ref = self.config.ruleset
        if ref is None:
            return None
        candidate = self.resolve(ref)
        return str(candidate) if candidate.exists() or ref.endswith(".toml") else ref

    def key(self, workbook: Path) -> str:
        """How the history names a workbook: its path relative to the config's folder, so
        that the history follows the folder when it moves."""
        try:
            return workbook.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return str(workbook.resolve())

    @property
    def database(self) -> Path:
        return self.resolve(self.config.history.database)


def load_audit(path: Path) -> Audit:
    """Read and validate an audit config; errors name the key and the closest match."""
    return Audit(validate(AuditConfig, read_toml(path), str(path)), path)


def _workbook_named(path: Path) -> bool:
    """A file named as a workbook is, or a folder of CSVs (what a folder's check reads)."""
    if path.is_dir():
        return is_csv_dataset(path)
    return path.suffix.lower() in WORKBOOK_SUFFIXES
