#!/usr/bin/env bash
# Serves virtconsole with Daphne after making sure the embedded host, the demo guest and an admin exist.
set -euo pipefail
cd "$(dirname "$0")/.."
# The embedded QEMU driver logs inside this process, at error level even for
# what it expects here (no cgroups, no dmidecode): keep that in a file, and
# the terminal for the console's own log. libvirt's errors reach the user in
# the pages themselves.
mkdir -p var
export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-"3:file:$PWD/var/libvirt.log"}
.venv/bin/python manage.py bootstrap
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
echo "virtconsole is serving on http://$host:$port (Ctrl-C stops it)"
exec .venv/bin/daphne -b "$host" -p "$port" console.asgi:application
