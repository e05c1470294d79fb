"""The floor of any request: GET /api/v1/version served by Daphne, beside Django alone and Daphne alone.

Needs no libvirt. Serves the console with Daphne on a free loopback port (its own VIRTCONSOLE_VAR_DIR under
/var/tmp, no embedded host), signs in, and times sequential requests on one kept-alive connection, in
interleaved rounds:

- bare Daphne: an ASGI app that answers 200 at once (Daphne and Twisted alone, and the client);
- served: `GET /api/v1/version` signed in (session cookie), through Daphne, console.asgi, the middleware
  and DRF, by a bare http.client connection and by requests.Session (what the client costs is the
  difference); with the server's CPU time per request;
- in process: the same request through Django's test Client, signed in, no Daphne (the middleware, the view,
  the database on a connection the test Client never closes).

Printed: medians, the 90th percentile, and each case's ratio to bare Daphne.

    .venv/bin/python benchmarks/request_floor.py [--requests 500] [--rounds 3] [--checkout DIR]

--checkout serves (and runs in process) another checkout's console, say a `git worktree` of the branch point,
with this harness: before and after back to back. --pause keeps the last served console up for that many
seconds, looping requests, so a profiler can attach (`py-spy record --pid`, printed).
"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.free_ports import free_ports  # noqa: E402  (the repository's root on the path first)
PASSWORD = "floor-pass-1234"
WARM_UP = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BARE_APP = '''
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
'''
IN_PROCESS = '''
import sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="admin"))
def get():
    response = client.get("/api/v1/version")
    assert response.status_code == 200, response.status_code
for _ in range(int(sys.argv[2])):
    get()
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    get()
    times.append(time.perf_counter() - started)
print(" ".join(f"{t:.9f}" for t in times))
'''


def console_env(var, checkout):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "VIRTCONSOLE_VAR_DIR": str(var),
           "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "PYTHONPATH": str(checkout)}
    env.pop("DATABASE_URL", None)
    return env


def prepare(var, checkout):
    for command in (["migrate", "--noinput", "-v0"], ["bootstrap", "--no-embedded-host"],
                    ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=checkout, env=console_env(var, checkout),
                       check=True, capture_output=True, timeout=300)


@contextmanager
def daphne(application, env, cwd, log_path):
    port = free_ports()
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), application],
                                  cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base_url}/", timeout=2)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Daphne did not start; see {log_path}") from None
                time.sleep(0.2)
        try:
            yield base_url, server
        finally:
            server.terminate()
            server.wait(timeout=30)


def signed_in(base_url):
    http = requests.Session()
    http.get(f"{base_url}/login/")
    http.post(f"{base_url}/login/", data={"username": "admin", "password": PASSWORD,
                                          "csrfmiddlewaretoken": http.cookies["csrftoken"]},
              headers={"Referer": f"{base_url}/login/"})
    if "sessionid" not in http.cookies:
        raise RuntimeError("could not sign in to the served console")
    return http


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def timed_requests(get, count, pid=None):
    """count request times after a warm-up (imports, caches, the connection), and the server's CPU per request."""
    for _ in range(WARM_UP):
        get()
    cpu = cpu_seconds(pid) if pid else 0.0
    times = []
    for _ in range(count):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    return times, (cpu_seconds(pid) - cpu) / count if pid else None


def by_requests(http, url):
    def get():
        response = http.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return get


def by_http_client(base_url, path, cookie=None):
    connection = http.client.HTTPConnection("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
    headers = {"Cookie": cookie} if cookie else {}

    def get():
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    return get


def in_process(var, checkout, count):
    done = subprocess.run([sys.executable, "-c", IN_PROCESS, str(count), str(WARM_UP)], cwd=checkout,
                          env=console_env(var, checkout), check=True, capture_output=True, text=True, timeout=600)
    return [float(t) for t in done.stdout.split()]


def main(count, rounds, checkout, pause, var):
    var = Path(var)
    try:
        times, cpu = measure(count, rounds, checkout, pause, var)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    floor = statistics.median(times["bare Daphne, http.client"]) * 1e3
    print(f"{checkout}: {rounds} rounds of {count} sequential requests per case, one kept-alive connection; "
          f"load average {os.getloadavg()[0]:.2f}")
    for label, values in times.items():
        median = statistics.median(values) * 1e3
        p90 = sorted(values)[int(0.9 * (len(values) - 1))] * 1e3
        server_cpu = f"   server CPU {statistics.median(cpu[label]) * 1e3:5.2f} ms" if label in cpu else ""
        print(f"{label:50} median {median:6.2f} ms   p90 {p90:6.2f} ms   {median / floor:5.2f}x bare{server_cpu}")


def measure(count, rounds, checkout, pause, var):
    prepare(var, checkout)
    times, cpu = {}, {}

    def add(label, measured):
        values, per_request = measured
        times.setdefault(label, []).extend(values)
        if per_request is not None:
            cpu.setdefault(label, []).append(per_request)

    with tempfile.TemporaryDirectory() as bare_dir:
        Path(bare_dir, "bare_asgi.py").write_text(BARE_APP)
        for round_number in range(rounds):
            with daphne("bare_asgi:app", {**os.environ, "PYTHONPATH": bare_dir}, bare_dir,
                        Path(bare_dir, "daphne.log")) as (base_url, server):
                add("bare Daphne, http.client", timed_requests(by_http_client(base_url, "/"), count, server.pid))
                add("bare Daphne, requests.Session",
                    timed_requests(by_requests(requests.Session(), f"{base_url}/"), count))
            with daphne("console.asgi:application", console_env(var, checkout), checkout,
                        var / "daphne.log") as (base_url, server):
                http = signed_in(base_url)
                cookie = f"sessionid={http.cookies['sessionid']}; csrftoken={http.cookies['csrftoken']}"
                add("served GET /api/v1/version, http.client",
                    timed_requests(by_http_client(base_url, "/api/v1/version", cookie), count, server.pid))
                add("served GET /api/v1/version, requests.Session",
                    timed_requests(by_requests(http, f"{base_url}/api/v1/version"), count))
                if pause and round_number == rounds - 1:
                    print(f"looping requests for {pause} s: py-spy record --pid {server.pid}", flush=True)
                    get, deadline = by_http_client(base_url, "/api/v1/version", cookie), time.monotonic() + pause
                    while time.monotonic() < deadline:
                        get()
            add("in process (test Client), GET /api/v1/version", (in_process(var, checkout, count), None))
    return times, cpu


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=REPO, help="the console checkout to serve (default: this)")
    parser.add_argument("--pause", type=float, default=0)
    parser.add_argument("--var", default=f"/var/tmp/vcbench-floor-{os.getpid()}")
    arguments = parser.parse_args()
    main(arguments.requests, arguments.rounds, arguments.checkout.resolve(), arguments.pause, arguments.var)
