"""The page tests' own console (a fresh database, the demo guest shut off) and its personas."""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser_support import serve_console, served_manage, sign_in

PROBE = (Path(__file__).parent / "served_probe.py").read_text()


@pytest.fixture(scope="session")
def ui_console(browser):
    """(base_url, var, personas): personas maps admin, power, operator, console, viewer to usernames, and has the
    demo domain's uuid ("demo"), its host's id ("host") and the personas' password."""
    var = Path(f"/var/tmp/vcui-{os.getpid()}")
    # VNC ports apart from the session's other served console (tests/browser_support.py).
    with serve_console(var, settings.DEMO_GUEST_DIR, extra_env={"VIRTCONSOLE_VNC_PORT_MIN": "5960",
                                                               "VIRTCONSOLE_VNC_PORT_MAX": "5979"}) as served:
        base_url, admin, password, _ = served
        # The console learns its domains when someone first lists them: the personas' grants name the demo's row.
        context, _ = sign_in(browser, base_url, admin, password)
        context.close()
        personas = json.loads(served_manage(var, "shell", "-v", "0", "-c", PROBE,
                                               extra_env={"VC_PROBE": "personas"}))
        yield base_url, var, personas


def refused_controls(var, requests):
    """Of [(username, method, path)], those the served console would refuse for want of a permission."""
    if not requests:
        return []
    out = served_manage(var, "shell", "-v", "0", "-c", PROBE,
                        extra_env={"VC_PROBE": "refused", "VC_PROBE_INPUT": json.dumps(requests)})
    return json.loads(out)
