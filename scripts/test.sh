#!/usr/bin/env bash
# Starts what the tests need (libvirtd for qemu:///system and its migration peer, PostgreSQL and Redis) and runs the whole suite on
# the SQLite default, then its production_shape part again on PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-libvirtd.sh
# The migration tests (marked two_hosts) need a second libvirtd that libvirt sees as another host.
bash scripts/start-second-libvirtd.sh start
bash scripts/start-services.sh >/dev/null
# The append-only contract first: a break is named in a second, before the long run.
.venv/bin/python manage.py api_contract --check
# What the code under test logged in each failed test, printed last (tests/failure_causes.py).
export VIRTCONSOLE_FAILURE_CAUSES="$PWD/var/test-failure-causes.txt"
mkdir -p var && rm -f "$VIRTCONSOLE_FAILURE_CAUSES"
sqlite=0
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" || sqlite=$?
# 86: a test stuck for good (tests/stuck_watchdog.py); its report must stay the last thing printed.
[ "$sqlite" -eq 86 ] && exit 1
production=0
bash scripts/test-production-shape.sh "$@" || production=$?
# 5: the arguments chose no production_shape test (a folder without any); the first run counted.
[ "$production" -eq 5 ] && [ "$sqlite" -eq 0 ] && production=0
if [ "$sqlite" -ne 0 ] || [ "$production" -ne 0 ]; then
    if [ -s "$VIRTCONSOLE_FAILURE_CAUSES" ]; then
        echo "test: what the failed tests logged (tests/failure_causes.py):" >&2
        tail -n 60 "$VIRTCONSOLE_FAILURE_CAUSES" >&2
    fi
    echo "test: SQLite run exited $sqlite, PostgreSQL/Redis run exited $production" >&2
    exit 1
fi
