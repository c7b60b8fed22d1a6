"""The machine the figures were measured on, for the JSON file and the chart's title."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def describe(postgres_version: str) -> dict[str, Any]:
    mem_kib = _proc_field("/proc/meminfo", "MemTotal").split()[0]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return {
        "nproc": cpus,
        "memory_gib": round(int(mem_kib) / 1024 / 1024, 1) if mem_kib.isdigit() else None,
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "postgresql": postgres_version,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def one_line(machine: dict[str, Any]) -> str:
    postgres = " ".join(str(machine["postgresql"]).split()[:2])
    return (
        f"{machine['nproc']} CPU ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"{postgres}, Python {machine['python']}, {machine['date'][:10]}"
    )
