"""SIGTERM to a served console with requests in flight: every request is answered and the process ends in seconds."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.browser_support import REPO, serve_console

pytestmark = pytest.mark.embedded

STOP_BOUND = 15  # seconds: STOP_GRACE (10) is the most a request may add to a stop


def api_token(var):
    """A token for the served console's admin, made by the served console's own manage.py."""
    make = ("from rest_framework.authtoken.models import Token; from django.contrib.auth import get_user_model; "
            "print('TOKEN', Token.objects.get_or_create(user=get_user_model().objects.get(username='admin'))[0].key)")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", make], cwd=REPO, capture_output=True,
                            text=True, check=True, timeout=120,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings",
                                 "VIRTCONSOLE_VAR_DIR": str(var)})
    return result.stdout.split("TOKEN ", 1)[1].split()[0]


def test_a_sigterm_with_requests_in_flight_answers_them_and_ends_within_seconds():
    var = f"/var/tmp/vcstop-{os.getpid()}"
    with serve_console(var, settings.DEMO_GUEST_DIR) as (base_url, _user, _password, server):
        token = api_token(var)

        def call(method, path, body=None):
            request = urllib.request.Request(
                base_url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        status, body = call("GET", "/api/v1/domains")
        uuid = json.loads(body)["results"][0]["uuid"]
        assert call("POST", f"/api/v1/domains/{uuid}/actions", {"action": "start"})[0] == 200

        answers, started = {}, threading.Barrier(21)

        def in_flight(i):
            started.wait()
            try:
                if i % 3 == 0:  # lifecycle calls that wait for QEMU's monitor, i.e. for libvirt's events
                    action = ["suspend", "resume", "reboot"][i % 9 // 3]
                    answers[i] = call("POST", f"/api/v1/domains/{uuid}/actions", {"action": action})[0]
                else:
                    answers[i] = call("GET", [f"/api/v1/domains/{uuid}", "/api/v1/domains"][i % 2])[0]
            except OSError as exc:  # the server went away before answering: what this test forbids
                answers[i] = repr(exc)

        clients = [threading.Thread(target=in_flight, args=(i,)) for i in range(20)]
        for client in clients:
            client.start()
        started.wait()
        while not answers:
            time.sleep(0.005)  # the first answer is out: stop now, with the others in flight
        stop, answered_before = time.monotonic(), len(answers)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail(f"Daphne still ran {STOP_BOUND} s after SIGTERM with requests in flight")
        took = time.monotonic() - stop
        for client in clients:
            client.join(60)

        assert answered_before < 20, "nothing was in flight: the test proved nothing"
        assert server.returncode == 0
        unanswered = {i: answer for i, answer in answers.items() if not isinstance(answer, int)}
        assert not unanswered, f"requests in flight at SIGTERM got no answer: {unanswered}"
        assert len(answers) == 20
        print(f"stopped {took:.1f} s after SIGTERM")
