"""`billable bench --browser --http2`: the app behind nginx terminating TLS, as docs/deploying.md
recommends, once speaking HTTP/2 to the browser and once HTTP/1.1 only (issue #17). Same app
processes, same TLS, same proxy: only the protocol between browser and proxy differs."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROTOCOLS = ("h2", "http1")

_SERVER = """
  server {{
    listen 127.0.0.1:{port} ssl{http2};
    ssl_certificate {dir}/cert.pem;
    ssl_certificate_key {dir}/key.pem;
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}"""

_CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  {servers}
}}
"""


@contextmanager
def tls_proxy(app_ports: dict[str, int]) -> Iterator[dict[tuple[str, str], str]]:
    """nginx in front of each app port (by mode), over HTTP/2 and over HTTP/1.1: the https base URL
    of each (mode, protocol). A self-signed certificate: the browser is told to accept it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise ValueError("--http2 needs nginx (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory(prefix="billable-h2-") as folder:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
            + ["-keyout", f"{folder}/key.pem", "-out", f"{folder}/cert.pem"],
            check=True,
            capture_output=True,
        )
        bases, servers = {}, []
        for mode, app_port in app_ports.items():
            for protocol in PROTOCOLS:
                port = free_port()
                http2 = " http2" if protocol == "h2" else ""
                servers.append(_SERVER.format(port=port, http2=http2, dir=folder, app_port=app_port))
                bases[mode, protocol] = f"https://127.0.0.1:{port}"
        Path(folder, "nginx.conf").write_text(_CONFIG.format(dir=folder, servers="".join(servers)))
        process = subprocess.Popen([nginx, "-p", folder, "-c", f"{folder}/nginx.conf"])
        try:
            _wait_for_port(int(next(iter(bases.values())).rsplit(":", 1)[1]), process)
            yield bases
        finally:
            process.terminate()
            process.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nginx did not start for the benchmark")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start for the benchmark")
