"""Load benchmark: the whole shop under many customers, through the gateway (`make bench`).

The command line: runs each database named (run.py), checks the targets and writes
bench/results/<output>.{json,md}; exits 1 when a target is missed on PostgreSQL.
"""

import argparse
import shlex
import sys

from bench.load.options import add_shop_options
from bench.load.report import write_markdown
from bench.load.run import run_database
from bench.load.stack import PG_SERVER
from bench.load.targets import targets
from bench.machine import describe, write_results
from common.registry import SERVICES


def service_names(value: str) -> list[str]:
    names = [name for name in value.split(",") if name]
    if unknown := [name for name in names if name not in SERVICES]:
        raise argparse.ArgumentTypeError(f"unknown service(s): {', '.join(unknown)}; one of {', '.join(SERVICES)}")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    add_shop_options(parser, customers=32, duration=120, books=1000, stocked=100)
    parser.add_argument("--ceiling-duration", type=int, default=30, help="seconds of the trivial endpoint")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy every service's log to DIR/<database>/ at the end")
    parser.add_argument(
        "--profile", type=service_names, default=[], help="comma-separated services whose workers py-spy records"
    )
    parser.add_argument(
        "--output",
        default="load",
        type=lambda name: name.removesuffix(".md").removesuffix(".json"),
        help="results file name under bench/results/ (.md and .json are added)",
    )
    args = parser.parse_args()
    kinds = args.databases.split(",")
    report = {
        "machine": describe(PG_SERVER if "postgres" in kinds else None),
        "run": {
            "command": shlex.join(["python", "-m", "bench.load", *sys.argv[1:]]),
            "customers": args.customers,
            "duration_s": args.duration,
            "spawn_rate": args.spawn_rate,
            "think_min": args.think_min,
            "think_max": args.think_max,
            "ceiling_duration_s": args.ceiling_duration,
            "books": args.books,
            "stocked": args.stocked,
        },
        "databases": {},
    }
    for kind in kinds:
        result = run_database(kind, args)
        result["targets"] = targets(result)
        report["databases"][kind] = result
    write_results(args.output, report, write_markdown(report))
    postgres = report["databases"].get("postgres")
    return 1 if postgres and not all(postgres["targets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
