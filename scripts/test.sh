#!/usr/bin/env bash
# Starts what the tests need (libvirtd for qemu:///system) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-libvirtd.sh
# The append-only contract first: a break is named in a second, before the long run.
.venv/bin/python manage.py api_contract --check
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
