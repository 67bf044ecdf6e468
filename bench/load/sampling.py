"""The services' processes while the benchmark runs: their memory, their CPU time and
the machine's, sampled with psutil."""

import contextlib
import os
import threading
import time

import psutil
import psycopg

from bench.load.database import database_connections, database_sessions
from tests.e2e.harness import Stack

MB = 2**20


def process_group(stack: Stack, name: str) -> list[psutil.Process]:
    """The service's process (tools.serve serves waitress in that process), with any children."""
    try:
        master = psutil.Process(stack.processes[name].pid)
        return [master, *master.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def memory_of(processes: list[psutil.Process]) -> dict[str, float]:
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss_mb": round(rss / MB, 1), "pss_mb": round(pss / MB, 1), "processes": len(processes)}


def memory_snapshot(stack: Stack) -> dict[str, dict]:
    return {name: memory_of(process_group(stack, name)) for name in stack.processes}


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


class LoadWatcher(threading.Thread):
    """While the load runs: every process group's memory each second (the peak is kept),
    and the CPU time each group and the whole machine spent, to see where it went."""

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.peak, self.done = stack, {}, threading.Event()
        self.cpu_start = {name: cpu_seconds(process_group(stack, name)) for name in stack.processes}
        self.machine_start = psutil.cpu_times()
        self.sessions_start = database_sessions(stack)
        self.connections_peak, self.max_connections = database_connections(stack)
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.done.wait(1.0):
            for name, now in memory_snapshot(self.stack).items():
                best = self.peak.setdefault(name, now)
                for key in ("rss_mb", "pss_mb", "processes"):
                    best[key] = max(best[key], now[key])
            with contextlib.suppress(psycopg.Error):  # a full server refuses us too; the peak stands
                self.connections_peak = max(self.connections_peak, database_connections(self.stack)[0])

    def stop(self) -> dict:
        self.done.set()
        self.join()
        elapsed = time.monotonic() - self.started
        cpu = {}
        for name, before in self.cpu_start.items():
            after = cpu_seconds(process_group(self.stack, name))
            cpu[name] = round(sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()), 1)
        machine = psutil.cpu_times()
        time.sleep(1)  # PostgreSQL counts sessions in statistics it flushes about each second
        sessions = {
            name: count - self.sessions_start.get(name, 0) for name, count in database_sessions(self.stack).items()
        }
        busy = sum(
            getattr(machine, f) - getattr(self.machine_start, f)
            for f in ("user", "system", "nice", "irq", "softirq", "steal")
        )
        return {
            "peak": self.peak,
            "cpu_seconds": cpu,
            "elapsed_s": round(elapsed, 1),
            "machine_busy_cpu_seconds": round(busy, 1),
            "machine_cpu_seconds": round(elapsed * (os.cpu_count() or 1), 1),
            "database_connections_opened": sessions,
            "database_connections_peak": self.connections_peak,
            "database_max_connections": self.max_connections,
        }
