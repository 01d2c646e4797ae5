"""Shared helpers of the benchmark commands: the run header, markdown tables, files.

Every results table starts with the same header (machine, command line, date,
versions, load), so a number can always be traced to how it was measured.
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

REPO = Path(__file__).resolve().parent.parent


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def core_count() -> str:
    """Logical CPUs in /proc/cpuinfo, and those this process may use."""
    try:
        listed = sum(1 for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("processor"))
    except OSError:
        listed = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{listed} logical ({usable} usable by this process)"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
    except OSError:
        return "unknown"


def command_line() -> str:
    """The command as typed (``python -m benchmarks.x ...``), quoted for a shell."""
    argv = list(getattr(sys, "orig_argv", [sys.executable] + sys.argv))
    if argv:
        try:
            argv[0] = os.path.relpath(argv[0]) if os.path.isabs(argv[0]) else argv[0]
        except ValueError:
            pass
    return shlex.join(argv)


def git_revision() -> str:
    """The product's commit and whether the working tree had changes (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "routeplanner"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return f"{head}" + (" + uncommitted changes in routeplanner/" if dirty else "")


def versions(names: Iterable[str] = ("ortools", "pyvrp", "pyvroom", "numpy")) -> str:
    return ", ".join(f"{n} {_version(n)}" for n in names) + f", Python {platform.python_version()}"


class Clock:
    """The run's start, for the header."""

    def __init__(self) -> None:
        self.started = datetime.now(timezone.utc)
        self.load_at_start = load_average()


def header(title: str, clock: Clock, extra: Sequence[tuple[str, str]] = (), packages: Iterable[str] | None = None) -> str:
    rows = [
        ("machine", f"{platform.machine()}, {cpu_model()}, {core_count()}"),
        ("command", f"`{command_line()}`"),
        ("date", f"{clock.started:%Y-%m-%d %H:%M} UTC (finished {datetime.now(timezone.utc):%H:%M} UTC)"),
        ("versions", versions(packages) if packages is not None else versions()),
        ("product", f"routeplanner {_version('routeplanner')}, git {git_revision()}"),
        ("load average (1/5/15 min) at start / end", f"{clock.load_at_start}; {load_average()}"),
    ]
    rows += list(extra)
    lines = [f"## {title}", ""]
    lines += [f"- **{k}**: {v}" for k, v in rows]
    return "\n".join(lines) + "\n"


def md_table(columns: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] | None = None) -> str:
    """A GitHub markdown table; ``align`` per column ``l`` or ``r``."""
    cols = list(columns)
    align = list(align) if align else ["l"] * len(cols)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    for row in rows:
        out.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def median(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def expand_paths(paths: Iterable[str], suffixes: Sequence[str]) -> list[Path]:
    """Files given on the command line; a folder stands for its files with these suffixes (sorted)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in suffixes)
        elif path.is_file():
            out.append(path)
        else:
            raise SystemExit(f"no such file or folder: {p}")
    return out


def write_output(text: str, out: str | None) -> None:
    """Print the report, and write it to ``out`` when given (folders are created)."""
    sys.stdout.write(text)
    sys.stdout.flush()
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"\nwritten to {path}", file=sys.stderr)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
