"""Where the slowest requests of one endpoint spent their time, hop by hop.

    .venv/bin/python -m bench.load --databases postgres --keep-logs /tmp/bench-logs
    .venv/bin/python -m bench.slow_requests /tmp/bench-logs/postgres                  (checkouts)
    .venv/bin/python -m bench.slow_requests /tmp/bench-logs/postgres "GET /api/carts/" --top 5

Every service writes one access line per request with the request id the gateway
gave it (common.access_log), and passes the id on to the services it calls. This joins
the lines of the kept logs by request id and prints, for the slowest requests the
gateway answered on the endpoint, every call they made, in the order they ended, with
each one's milliseconds; then the median of each hop over the slowest 5% and over the
middle third, to tell a slow step from everything being slow at once.
"""

import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ACCESS_LINE = re.compile(r"^(\S+ \S+) \S+ \[([^\]]+)\] access: (\S+) (\S+) status=(\d+) ms=([\d.]+)")
NUMBER_IN_PATH = re.compile(r"/\d+(?=/)")


def read_logs(directory: Path) -> dict[str, list[tuple[str, str, str, float]]]:
    """(ended at, service, "METHOD path", ms) of every access line, by request id."""
    calls = defaultdict(list)
    for log in sorted(directory.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if match := ACCESS_LINE.match(line):
                ended, request_id, method, path, _status, ms = match.groups()
                calls[request_id].append((ended, log.stem, f"{method} {path}", float(ms)))
    return calls


def slowest(calls: dict, endpoint: str) -> list[tuple[float, str, list]]:
    """(gateway ms, request id, its calls) of the endpoint's requests, slowest first."""
    found = []
    for request_id, entries in calls.items():
        at_gateway = [e for e in entries if e[1] == "gateway" and e[2].startswith(endpoint)]
        if at_gateway:
            found.append((at_gateway[0][3], request_id, sorted(entries)))
    return sorted(found, reverse=True)


def hop_medians(requests: list) -> dict[str, float]:
    by_hop = defaultdict(list)
    for _total, _request_id, entries in requests:
        for _ended, service, call, ms in entries:
            by_hop[f"{service}: {NUMBER_IN_PATH.sub('/{id}', call)}"].append(ms)
    return {hop: round(statistics.median(times), 1) for hop, times in sorted(by_hop.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, help="a directory of logs kept by bench.load --keep-logs")
    parser.add_argument("endpoint", nargs="?", default="POST /api/orders/", help="METHOD and path prefix")
    parser.add_argument("--top", type=int, default=10, help="slowest requests to show in full")
    args = parser.parse_args()
    requests = slowest(read_logs(args.logs), args.endpoint)
    if not requests:
        print(f"no {args.endpoint} in the gateway's access lines under {args.logs}", file=sys.stderr)
        return 1
    times = sorted(total for total, _, _ in requests)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{args.endpoint}: {len(times)} requests, median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms\n")
    for total, request_id, entries in requests[: args.top]:
        print(f"{total:.0f} ms  {request_id}")
        for ended, service, call, ms in entries:
            print(f"    ended {ended[11:]}  {service:<14} {call:<45} {ms:>7.1f} ms")
    tail = requests[: max(1, len(requests) // 20)]
    middle = requests[len(requests) // 3 : 2 * len(requests) // 3]
    print("\nmedian ms of each hop: slowest 5% / middle third")
    medians_tail, medians_middle = hop_medians(tail), hop_medians(middle)
    for hop in sorted(set(medians_tail) | set(medians_middle)):
        print(f"    {hop:<55} {medians_tail.get(hop, '-'):>7} / {medians_middle.get(hop, '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
