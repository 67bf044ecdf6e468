"""py-spy on a service's processes while the load runs (--profile)."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.load.sampling import process_group
from tests.e2e.harness import Stack

PY_SPY = Path(sys.executable).with_name("py-spy")


class Profiler:
    """py-spy records one service's process while the load runs, sampling the thread that
    holds the GIL: the functions most often on its stack (inclusive) and running (own time)."""

    def __init__(self, stack: Stack, name: str, seconds: int, workdir: Path):
        self.name, self.processes, self.workdir = name, [], workdir
        for worker in process_group(stack, name):
            raw = workdir / f"profile-{name}-{worker.pid}.txt"
            command = [str(PY_SPY), "record", "--pid", str(worker.pid), "--duration", str(seconds)]
            command += ["--format", "raw", "--rate", "100", "--output", str(raw), "--nonblocking"]
            command.append("--gil")  # only the thread running Python: where the CPU goes, not who waits
            self.processes.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), raw))

    def summary(self, top: int = 40) -> dict:
        inclusive, own, samples = Counter(), Counter(), 0
        for process, raw in self.processes:
            process.wait()
            if not raw.exists():
                continue
            for line in raw.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                frames = [frame.split(" (")[0] + " (" + frame.split(" (")[-1] for frame in stack.split(";")]
                samples += int(count)
                own[frames[-1]] += int(count)
                for frame in set(frames):
                    inclusive[frame] += int(count)

        def share(counter: Counter) -> list[list]:
            return [[frame, round(100 * hits / max(samples, 1), 1)] for frame, hits in counter.most_common(top)]

        return {"service": self.name, "samples": samples, "inclusive_pct": share(inclusive), "own_pct": share(own)}
