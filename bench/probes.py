"""Measuring tools for the benchmarks: a lean SSE reader, process memory, percentiles.

The SSE reader works on raw byte chunks (both servers frame with CRLF) and stays cheap,
so the client is not what limits a 10,000-event stream.
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

_BLOCK_END = re.compile(rb"\r\n\r\n|\n\n")
_LINE_END = re.compile(rb"\r?\n")


@dataclass(frozen=True)
class Frame:
    event: str
    data: bytes
    id: str | None
    received: float  # time.time() when the chunk holding it arrived


async def frames(response: httpx.Response) -> AsyncIterator[Frame]:
    """Frames of an SSE response (comments and heartbeats skipped)."""
    buf = b""
    async for chunk in response.aiter_raw():
        now = time.time()
        buf += chunk
        start = 0
        for match in _BLOCK_END.finditer(buf):
            block = buf[start : match.start()]
            start = match.end()
            event, data, event_id = "message", [], None
            for line in _LINE_END.split(block):
                if line.startswith(b"event:"):
                    event = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    data.append(line[5:].lstrip(b" "))
                elif line.startswith(b"id:"):
                    event_id = line[3:].strip().decode()
            if data or event != "message":
                yield Frame(event, b"\n".join(data), event_id, now)
        buf = buf[start:]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """p50/p99/min/max/mean in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "min_ms": min(ms) if ms else None,
        "max_ms": max(ms) if ms else None,
        "mean_ms": statistics.fmean(ms) if ms else None,
    }


# -- memory ------------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> ppid of every process, from one pass over /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def process_tree(*pids: int) -> list[int]:
    """The processes and all their descendants."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    tree, todo = [], list(pids)
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kb(*pids: int) -> int:
    """Resident memory (VmRSS) of processes and all their descendants, in KiB."""
    total = 0
    for member in set(process_tree(*pids)):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total


class RssSampler:
    """Samples `rss_kb(*pids)` in a thread every `interval` seconds; keeps the peak."""

    def __init__(self, *pids: int, interval: float = 0.05) -> None:
        self.pids = pids
        self.interval = interval
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            value = rss_kb(*self.pids)
            self.samples.append((time.monotonic(), value))
            self.peak = max(self.peak, value)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def memory_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def cpu_count() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
