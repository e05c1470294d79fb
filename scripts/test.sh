#!/usr/bin/env bash
# Starts what the tests need (libvirtd for qemu:///system) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/start-libvirtd.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
