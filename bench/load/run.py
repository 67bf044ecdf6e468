"""One database from start to finish: the stack started, the shop prepared, a checkout
traced, the load and the ceiling run while the services are watched, the stack stopped."""

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.load.locust_run import run_locust
from bench.load.logs import keep_logs, logged_errors
from bench.load.profiler import Profiler
from bench.load.sampling import LoadWatcher, memory_snapshot
from bench.load.shop import prepare_shop
from bench.load.stack import PG_SERVER, BenchStack
from bench.load.trace import trace_checkout


def run_database(kind: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-load-{kind}-") as workdir_name:
        workdir = Path(workdir_name)
        stack = BenchStack(workdir, database_server=PG_SERVER if kind == "postgres" else None)
        try:
            stack.start()
            time.sleep(3)  # let every worker finish booting before memory is read
            idle = memory_snapshot(stack)
            print(f"[{kind}] started; preparing the shop", flush=True)
            shop = prepare_shop(stack, args)
            shop_file = workdir / "shop.json"
            shop_file.write_text(json.dumps(shop))
            calls = trace_checkout(stack, shop)
            print(f"[{kind}] {calls['total']} calls between services for a checkout and payment", flush=True)
            load_before = os.getloadavg()
            watcher = LoadWatcher(stack)
            watcher.start()
            locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            profilers = [Profiler(stack, name, args.duration, workdir) for name in args.profile]
            users = args.customers + 1  # one staff user among them (locustfile: Staff.fixed_count)
            shop_run = run_locust(
                stack.gateway, ["Customer", "Staff"], users, args.spawn_rate, args.duration, shop_file
            )
            watched = watcher.stop()
            locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            watched["cpu_seconds"]["locust (the load generator)"] = round(
                locust_after.ru_utime + locust_after.ru_stime - locust_cpu.ru_utime - locust_cpu.ru_stime, 1
            )
            load_after = os.getloadavg()
            print(f"[{kind}] load: {json.dumps(shop_run['endpoints'].get('overall'))}", flush=True)
            ceiling = run_locust(
                stack.url("book"), ["Ceiling"], args.customers, args.spawn_rate, args.ceiling_duration, shop_file
            )
            print(f"[{kind}] ceiling: {json.dumps(ceiling['endpoints'].get('overall'))}", flush=True)
            return {
                "load": shop_run,
                "ceiling": ceiling["endpoints"].get("overall"),
                "calls_per_checkout": calls,
                "memory": {"idle": idle, "peak_under_load": watched.pop("peak")},
                "cpu": watched,
                "load_average": {
                    "before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in load_after],
                },
                "profiles": [profiler.summary() for profiler in profilers],
                "logged_errors": logged_errors(stack),
                "settings": stack.serving_settings(),
            }
        except Exception:
            for name in stack.processes:  # the logs go with the temporary directory
                print(f"--- {name} log ---\n{stack.log_tail(name, 15)}", file=sys.stderr)
            raise
        finally:
            stack.stop()
            if args.keep_logs:
                keep_logs(stack, Path(args.keep_logs) / kind)
