"""A plugin that kills the process checking any workbook whose path holds "poison", as a
worker dies when the kernel's out-of-memory killer picks it or native code crashes; and
keeps the check of one whose path holds "slow" waiting (having written ``PATH.waiting``),
so that a test can interrupt it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from alignhealth import hookimpl
from alignhealth.runresult import RunResult


@hookimpl
def run_finished(result: RunResult, config: object) -> None:
    if "poison" in result.source.path:
        os.kill(os.getpid(), signal.SIGKILL)
    if "slow" in result.source.path:
        Path(result.source.path + ".waiting").touch()
        time.sleep(60)
