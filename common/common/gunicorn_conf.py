"""gunicorn settings for every service: `gunicorn -c python:common.gunicorn_conf`.

Threaded workers, because a service spends most of a request waiting on its
database or on another service. Access log lines carry the request id.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 30  # seconds an idle connection from a peer's pool stays open
accesslog = "-"
errorlog = "-"
access_log_format = '%(t)s ACCESS [%({x-request-id}o)s] %(h)s "%(r)s" %(s)s %(b)sB %(M)sms'
