"""nginx as the benchmarks run it: one worker in the foreground, its files in the run's
temporary folder, a keep-alive reverse proxy at each address given, in front of one or
more upstream ports (round robin). Needs nginx (apt-get install nginx-light)."""

import subprocess
from pathlib import Path

CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_max_body_size 10m;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
{proxies}
}}
"""
PROXY = """
    upstream {name} {{ {upstreams} keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_read_timeout 60s;
        }}
    }}
"""


def conf(workdir: Path, proxies: dict[str, tuple[int, list[int]]]) -> str:
    """{name: (the port nginx listens on, the upstream ports behind it)} as nginx.conf."""
    return CONF.format(
        tmp=workdir,
        proxies="".join(
            PROXY.format(name=name, port=port, upstreams=" ".join(f"server 127.0.0.1:{up};" for up in upstreams))
            for name, (port, upstreams) in proxies.items()
        ),
    )


def start(workdir: Path, proxies: dict[str, tuple[int, list[int]]]) -> subprocess.Popen:
    path = workdir / "nginx.conf"
    path.write_text(conf(workdir, proxies))
    with (workdir / "nginx.log").open("ab") as log:
        return subprocess.Popen(["nginx", "-c", str(path), "-p", str(workdir)], stdout=log, stderr=subprocess.STDOUT)
