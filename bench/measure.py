"""Runs one command as a child process and measures it: wall time, exit status, peak memory.

Peak memory is taken two ways, because the measured processes have children of their own
(a flow run without ``PREFECT_API_URL`` starts Prefect's temporary API server as a subprocess):

* the kernel's own figure for the child, ``ru_maxrss`` from ``wait4()``: the largest peak RSS of any
  single process of the tree that was waited for (the child or a descendant it reaped);
* a sampler that reads ``/proc`` every ``SAMPLE_SECONDS`` for the child and all its descendants:
  each process's high-water mark (``VmHWM``, exact up to the last sample) and the largest sum of
  the tree's current RSS seen at one instant (what the machine had to hold at once).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1
_KIB = 1024
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessPeak:
    pid: int
    command: str
    peak_rss_bytes: int
    cpu_seconds: float = 0.0
    """User + system CPU time, as of the last sample that saw the process."""


@dataclass
class Measurement:
    """What one child process did."""

    command: list[str]
    returncode: int
    started_at: float
    ended_at: float
    wall_seconds: float
    max_rss_bytes: int
    """ru_maxrss of wait4(): the largest single process of the tree."""
    tree_peak_rss_bytes: int
    """Largest sum of the RSS of the child and its descendants at one sample."""
    root_peak_rss_bytes: int
    """VmHWM of the child process itself."""
    cpu_seconds: float
    """User + system CPU time of the child and the descendants it waited for (wait4)."""
    processes: list[ProcessPeak] = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def descendants_peak_rss_bytes(self) -> int:
        return sum(process.peak_rss_bytes for process in self.processes[1:])


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started, whichever of its threads started them (/proc/PID/task/TID/children)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", encoding="ascii") as children:
                found.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def _memory(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in bytes, or None once the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * _KIB
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * _KIB
    except (OSError, ValueError):
        return None
    return rss, hwm


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (/proc/PID/stat fields 14 and 15)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # the command may hold spaces and parentheses: the fields after the last ")" are plain
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()[:160]
    except OSError:
        return "?"


class _Sampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.root = root
        self.stopped = threading.Event()
        self.peaks: dict[int, ProcessPeak] = {}
        self.tree_peak = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        pending, total = [self.root], 0
        while pending:
            pid = pending.pop()
            pending.extend(_children(pid))
            memory = _memory(pid)
            if memory is None:
                continue
            rss, hwm = memory
            total += rss
            peak = self.peaks.get(pid)
            if peak is None:
                peak = self.peaks[pid] = ProcessPeak(pid, _command(pid), hwm)
            peak.peak_rss_bytes = max(peak.peak_rss_bytes, hwm)
            peak.cpu_seconds = max(peak.cpu_seconds, _cpu_seconds(pid) or 0.0)
        self.tree_peak = max(self.tree_peak, total)


def run(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_file: Path,
    timeout: float | None = None,
) -> Measurement:
    """Runs ``command`` to its end (output to ``log_file``) and measures it."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log:
        started = time.time()
        clock = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        sampler = _Sampler(process.pid)
        sampler.start()
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer:
            timer.start()
        try:
            # wait4 rather than Popen.wait: it also returns the child's resource usage
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            wall = time.perf_counter() - clock
            ended = time.time()
            if timer:
                timer.cancel()
            sampler.stopped.set()
            sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    peaks = sorted(sampler.peaks.values(), key=lambda peak: peak.pid != process.pid)
    root_peak = peaks[0].peak_rss_bytes if peaks and peaks[0].pid == process.pid else 0
    return Measurement(
        command=list(command),
        returncode=process.returncode,
        started_at=started,
        ended_at=ended,
        wall_seconds=wall,
        max_rss_bytes=usage.ru_maxrss * _KIB,
        tree_peak_rss_bytes=sampler.tree_peak,
        root_peak_rss_bytes=root_peak,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        processes=peaks,
        log=log_file.read_text(encoding="utf-8", errors="replace"),
    )
