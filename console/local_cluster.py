"""The parts of `manage.py cluster`: its refusals, nginx's configuration, and how a process is seen to answer."""

import http.client
import shutil
import socket
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from django.conf import settings
from django.core.management.base import CommandError

# Root's PATH has these, a user's often not: nginx lives in /usr/sbin.
NGINX_PATH = "/usr/local/sbin:/usr/sbin:/sbin"
# A direct opener: an http_proxy in the environment must not stand between us and 127.0.0.1.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class ClusterProcess:
    name: str
    port: int
    process: Popen
    log: Path
    proxy: bool = False  # nginx, in front of the others


def refuse_single_process_setup():
    """Several processes share their state through PostgreSQL and Redis; refuse what only one process can use."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise CommandError("The database is SQLite, which one process at a time may write: several processes need "
                           "PostgreSQL. Set DATABASE_URL=postgres://... (bash scripts/start-services.sh starts one "
                           "on this machine; make cluster N=3 does everything).")
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        raise CommandError("The channel layer is in memory, which does not reach other processes: several "
                           "processes need Redis. Set CHANNEL_LAYER_URL=redis://... (bash scripts/start-services.sh "
                           "starts one on this machine; make cluster N=3 does everything).")


def find_nginx():
    found = shutil.which("nginx") or shutil.which("nginx", path=NGINX_PATH)
    if found is None:
        raise CommandError("nginx is missing: install Debian's nginx-light: bash scripts/setup.sh --cluster")
    return found


def refuse_taken_ports(ports):
    """Name a port something else holds now, rather than let one process of the cluster fail to start on it."""
    for port in ports:
        with socket.socket() as probe:
            # As Twisted and nginx bind: a port left in TIME_WAIT by a previous run is free to them.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                raise CommandError(f"Port {port} on 127.0.0.1 is taken ({exc.strerror}): stop what listens there "
                                   "or give another --port (the processes take the ports after it).") from None


def answers(port):
    """True once the sign-in page answers on 127.0.0.1:port (through nginx: once a process behind it does)."""
    try:
        with _opener.open(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return response.status == 200
    except (OSError, http.client.HTTPException):
        return False  # not listening yet, or nginx's 502 while no process behind it answers


def tail(path, lines=10):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read it: {exc.strerror})"


def write_nginx_config(directory, port, upstream_ports):
    """Write directory/nginx.conf (and the directory its temporary files go to); returns its path."""
    temp = Path(directory) / "nginx-temp"
    temp.mkdir(exist_ok=True)  # nginx makes the last level of a temp path only
    config = Path(directory) / "nginx.conf"
    config.write_text(nginx_config(directory, port, upstream_ports, temp))
    return config


def nginx_config(directory, port, upstream_ports, temp):
    """nginx in the foreground on 127.0.0.1:port, every file of its own under directory, no TLS.

    The proxying is deploy/nginx/virtconsole.conf's: keep the two alike.
    """
    servers = "\n".join(f"        server 127.0.0.1:{upstream};" for upstream in upstream_ports)
    return f"""\
# Written by `manage.py cluster` at each start: edit console/local_cluster.py instead.
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log;
worker_processes 1;
# Each proxied websocket holds two connections; benchmarks open thousands of sockets.
worker_rlimit_nofile 20000;

events {{
    worker_connections 8192;
}}

http {{
    access_log {directory}/nginx-access.log;
    # Not /var/lib/nginx: the cluster keeps all it writes under its own directory.
    client_body_temp_path {temp}/client-body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    upstream virtconsole {{
        # A websocket stays on the process that accepted it; plain requests go to any process, and a process
        # that refuses connections (killed) is passed over for the next.
{servers}
        keepalive 16;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name _;
        # A volume upload's body may be the whole file, passed on as it arrives (proxy_request_buffering off);
        # the console itself refuses any other body over 8 MiB before reading it (console/request_bodies.py).
        client_max_body_size 0;

        location / {{
            proxy_pass http://virtconsole;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # With its port ($host drops it): Django's CSRF check compares a browser's Origin
            # (http://127.0.0.1:{port}) with this, and there is no 443 to leave out here.
            proxy_set_header Host $http_host;
            # Daphne runs with --proxy-headers: the audit log records the client's address, not nginx's.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Consoles and the events socket stay open for hours; downloads are paced to the client.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
            proxy_request_buffering off;
        }}
    }}
}}
"""
