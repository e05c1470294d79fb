#!/usr/bin/env bash
# Serves virtconsole with Daphne after making sure the embedded host, the demo guest and an admin exist.
set -euo pipefail
cd "$(dirname "$0")/.."
# The embedded QEMU driver logs inside this process: keep warnings meant for
# daemon admins (e.g. about security_driver = "none") off the terminal.
export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-"4:stderr"}
.venv/bin/python manage.py bootstrap
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
echo "virtconsole is serving on http://$host:$port (Ctrl-C stops it)"
exec .venv/bin/daphne -b "$host" -p "$port" console.asgi:application
