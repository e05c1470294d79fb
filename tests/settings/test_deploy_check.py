"""The production settings the README documents pass `manage.py check --deploy` with nothing to report."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def documented_production_env():
    """The variables of the README's "Production settings" example, placeholders filled in."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Production settings", 1)[1].split("\n## ", 1)[0]
    env = dict(re.findall(r"^    ([A-Z_]+)=(.*)$", section, re.MULTILINE))
    assert "SECURE_HSTS_SECONDS" in env, "the README lost its production settings example"
    env["SECRET_KEY"] = "k" * 20 + "-production-like-secret-key-of-enough-length-0123456789"
    # The example's servers do not exist here: the checks need no database or channel layer.
    env.pop("DATABASE_URL")
    env.pop("CHANNEL_LAYER_URL")
    return env


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", **env})


def test_the_documented_production_settings_pass_the_deploy_check(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "DEBUG",
                    env={**documented_production_env(), "VIRTCONSOLE_VAR_DIR": str(tmp_path)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_defaults_leave_the_https_warnings_for_the_operator_to_see(tmp_path):
    result = manage("check", "--deploy", env={"VIRTCONSOLE_VAR_DIR": str(tmp_path)})

    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("name, value", [
    ("SECURE_HSTS_SECONDS", "a year"),
    ("SECURE_HSTS_SECONDS", "-1"),
    ("SECURE_SSL_REDIRECT", "maybe"),
    ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "2"),
    ("SESSION_COOKIE_SECURE", "sure"),
    ("CSRF_COOKIE_SECURE", "yep"),
    ("SECURE_PROXY_SSL_HEADER", "https"),
    ("STOP_GRACE_SECONDS", "0"),
])
def test_a_bad_https_setting_stops_the_start_and_is_named(tmp_path, name, value):
    result = manage("check", env={name: value, "VIRTCONSOLE_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert name in result.stderr


def test_preload_without_a_long_hsts_for_subdomains_is_refused(tmp_path):
    result = manage("check", env={"SECURE_HSTS_PRELOAD": "1", "SECURE_HSTS_SECONDS": "3600",
                                  "VIRTCONSOLE_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "SECURE_HSTS_PRELOAD" in result.stderr
