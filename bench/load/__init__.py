"""Load benchmark: the whole shop under many customers, through the gateway (`make bench`).

    .venv/bin/python -m bench.load                                   SQLite and PostgreSQL, the issue's sizes
    .venv/bin/python -m bench.load --databases sqlite --customers 8 --duration 20 --ceiling-duration 5
    .venv/bin/python -m bench.load --databases postgres --profile order,book   py-spy on their processes

For each database it starts all eight services and the outbox dispatchers with the
settings of `make run` (stack.py), on free ports with fresh databases, so a running
`make run` is not disturbed. Then, in order (run.py):
1. the catalog grows, the warehouse is stocked and the customers sign up, all through
   the gateway (shop.py);
2. the resident memory of every service (its process) is read idle (sampling.py);
3. one checkout and one payment are traced through the access logs: the calls between
   services they caused (trace.py);
4. locust runs the customers of bench/locustfile.py and one staff user (locust_run.py)
   while memory, CPU and PostgreSQL connections are sampled (sampling.py, database.py)
   and, with --profile, py-spy records the services named (profiler.py);
5. the ceiling: the same number of users, without think time, against book_service's
   /health/ (no database).

Results go to bench/results/load.{json,md} (__main__.py, report.py) with the machine,
its load average and the settings; docs/performance.md summarises them. The exit status
is 1 when a target of the issue is missed on PostgreSQL (targets.py).
"""
