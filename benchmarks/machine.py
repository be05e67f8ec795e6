"""What every benchmark report says of the machine it ran on (imported by the scripts beside it)."""

import contextlib
import platform
from pathlib import Path


def cpu_name():
    """The CPU's model name (Linux), else what the platform module knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
