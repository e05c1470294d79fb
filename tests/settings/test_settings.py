"""Settings from the environment: a bad value stops the start and names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def start_with(**env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO, env={**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("name, value", [
    ("DJANGO_DEBUG", "maybe"),
    ("SESSION_COOKIE_AGE", "forever"),
    ("DATABASE_URL", "nosuchdb://x"),
    ("CHANNEL_LAYER_URL", "http://localhost"),
    ("SECRET_KEY", "short"),
    ("ALLOWED_HOSTS", "a,,b"),
    ("VIRTCONSOLE_VNC_PORT_MIN", "80"),
])
def test_it_refuses_to_start_on_a_bad_value_and_names_it(name, value):
    result = start_with(**{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_it_starts_with_the_defaults():
    assert start_with().returncode == 0
