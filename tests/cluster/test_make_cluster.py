"""`manage.py cluster` (what `make cluster N=3` runs): three Daphne processes behind nginx, on PostgreSQL and Redis.

The tests share one cluster, but for the one that kills a process: it has a cluster of its own.
"""

import json
import os
import subprocess
import sys

import pytest
import requests

from benchmarks.ws_client import OP_TEXT, connect
from domains.api.ws_protocol import SUBPROTOCOL
from tests.cluster.client import signed_in
from tests.cluster_support import REPO, serve_cluster

pytestmark = [pytest.mark.system]


def test_signing_in_through_nginx_reaches_the_api(cluster):
    http = signed_in(cluster.base_url, cluster.username, cluster.password)

    answer = http.get(f"{cluster.base_url}/api/v1/hosts")

    assert answer.status_code == 200
    assert answer.json()["results"] == []  # bootstrapped with --no-embedded-host


def test_each_process_answers_on_its_own_port_with_the_same_session(cluster):
    http = signed_in(cluster.base_url, cluster.username, cluster.password)
    assert len(cluster.processes) == 3
    for process in cluster.processes:
        direct = f"http://127.0.0.1:{process.port}"
        assert requests.get(f"{direct}/login/").status_code == 200
        # One database and one SECRET_KEY: a session opened through nginx is good on every process.
        assert http.get(f"{direct}/api/v1/hosts").status_code == 200


async def test_the_events_socket_says_hello_through_nginx(cluster):
    http = signed_in(cluster.base_url, cluster.username, cluster.password)
    ws_url = cluster.base_url.replace("http://", "ws://") + "/ws/v1/events"

    socket = await connect(ws_url, subprotocols=[SUBPROTOCOL],
                           headers={"Cookie": f"sessionid={http.cookies['sessionid']}", "Origin": cluster.base_url})
    try:
        opcode, payload = await socket.recv()
    finally:
        socket.close()

    assert socket.subprotocol == SUBPROTOCOL
    assert opcode == OP_TEXT
    hello = json.loads(payload)
    assert (hello["type"], hello["user"]) == ("hello", cluster.username)


def test_a_killed_process_leaves_the_console_answering_through_nginx():
    with serve_cluster(processes=3) as cluster:
        http = signed_in(cluster.base_url, cluster.username, cluster.password)

        cluster.kill(0)

        # Round robin over three: six requests reach the dead process's turn twice; nginx passes it over each time.
        for _ in range(2 * len(cluster.processes)):
            assert http.get(f"{cluster.base_url}/api/v1/hosts").status_code == 200
        # A sign-in (a POST) gets through too.
        signed_in(cluster.base_url, cluster.username, cluster.password)
        # And nginx did try the dead process: the requests above were not all sent elsewhere by chance.
        refused = "connect() failed (111: Connection refused) while connecting to upstream"
        assert refused in (cluster.var / "cluster" / "nginx-error.log").read_text()


@pytest.mark.parametrize("args, env, refusal", [
    (["--processes", "2"], {"DATABASE_URL": "sqlite:///{var}/db.sqlite3"}, "The database is SQLite"),
    (["--processes", "0"], {}, "--processes 0: give between 1 and 64."),
])
def test_the_command_refuses_what_several_processes_cannot_share_and_starts_nothing(tmp_path, args, env, refusal):
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CHANNEL_LAYER_URL")}
    environment.update({"VIRTCONSOLE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "console.settings",
                        **{key: value.format(var=tmp_path) for key, value in env.items()}})

    done = subprocess.run([sys.executable, "manage.py", "cluster", *args, "--port", "18500"], cwd=REPO,
                          env=environment, capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert refusal in done.stderr
    assert not (tmp_path / "cluster" / "state.json").exists()
