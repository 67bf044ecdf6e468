"""The least a Python reverse proxy can do, for bench/gateway_overhead.py's floor row.

Forwards a request's method, target and body to BENCH_UPSTREAM (host:port) over one
kept-alive http.client connection per thread and hands the answer back: no auth, no
limits, no logging; on any failure a bare 502 and a new connection next time. Not
for use: it shows what any proxy written in Python, under the same server as the
gateway, costs on the machine.
"""

import http.client
import os
import threading
from urllib.parse import quote

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding"})
_upstream_host, _upstream_port = os.environ.get("BENCH_UPSTREAM", "127.0.0.1:2100").rsplit(":", 1)
_connections = threading.local()


def _connection() -> http.client.HTTPConnection:
    connection = getattr(_connections, "connection", None)
    if connection is None:
        connection = _connections.connection = http.client.HTTPConnection(_upstream_host, int(_upstream_port))
    return connection


def application(environ, start_response):
    query = environ.get("QUERY_STRING")
    target = quote(environ["PATH_INFO"]) + (f"?{query}" if query else "")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else None
    connection = _connection()
    try:
        connection.request(environ["REQUEST_METHOD"], target, body=body, headers={"Host": _upstream_host})
        answer = connection.getresponse()
        content = answer.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        _connections.connection = None
        start_response("502 Bad Gateway", [("Content-Length", "0")])
        return [b""]
    headers = [(name, value) for name, value in answer.getheaders() if name.lower() not in _HOP_BY_HOP]
    start_response(f"{answer.status} {answer.reason}", headers)
    return [content]
