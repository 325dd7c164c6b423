"""A plugin that kills the process checking any workbook whose path holds "poison": as a
worker dies when the kernel's out-of-memory killer picks it, or native code crashes."""

from __future__ import annotations

import os
import signal

from alignhealth import hookimpl
from alignhealth.runresult import RunResult


@hookimpl
def run_finished(result: RunResult, config: object) -> None:
    if "poison" in result.source.path:
        os.kill(os.getpid(), signal.SIGKILL)
