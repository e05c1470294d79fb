"""Shared by the benchmarks: a served console (Daphne), a signed-in HTTP session, tickets, process CPU and memory."""

import os
import re
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django  # noqa: E402

django.setup()

from tests.browser_support import serve_console  # noqa: E402,F401  (re-exported for the benchmarks)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Console:
    """A signed-in client of a served console."""

    def __init__(self, base_url, username, password):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.get(f"{base_url}/login/")
        self.http.post(f"{base_url}/login/", data={
            "username": username, "password": password,
            "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
        }, headers={"Referer": f"{base_url}/login/"})
        if "sessionid" not in self.http.cookies:
            raise RuntimeError("could not sign in to the served console")

    def api(self, method, path, **kwargs):
        response = self.http.request(method, f"{self.base_url}/api/v1/{path}",
                                     headers={"X-CSRFToken": self.http.cookies["csrftoken"],
                                              "Referer": self.base_url}, **kwargs)
        response.raise_for_status()
        return response.json()

    def domain(self, name):
        for item in self.api("GET", "domains")["results"]:
            if item["name"] == name:
                return item
        raise LookupError(f"no domain named {name}")

    def ws_url(self, path):
        return self.base_url.replace("http://", "ws://") + path

    def ticket_url(self, uuid, kind):
        return self.ws_url(self.api("POST", f"domains/{uuid}/console-tickets", json={"kind": kind})["url"])

    @property
    def ws_headers(self):
        return {"Cookie": f"sessionid={self.http.cookies['sessionid']}", "Origin": self.base_url}


def cpu_seconds(pid):
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pid):
    """CPU time of a process and its live descendants (websockify serves each client in a fork)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
        except OSError:
            continue
        todo += children.get(current, [])
    return total


def rss_kib(pid):
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
