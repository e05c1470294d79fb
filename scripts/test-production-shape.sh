#!/usr/bin/env bash
# Runs the part of the suite marked production_shape on PostgreSQL and Redis (started by start-services.sh).
# Arguments go to pytest, e.g. `bash scripts/test-production-shape.sh tests/access -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
settings=$(bash scripts/start-services.sh)
export $settings
# Each run makes test_virtconsole_<its pid> and drops it at the end; a run killed before that leaves its
# database behind: drop those whose process is gone.
for database in $(psql "$DATABASE_URL" -tAc "select datname from pg_database where datname ~ '^test_virtconsole_[0-9]+$'"); do
    kill -0 "${database##*_}" 2>/dev/null || dropdb --maintenance-db="$DATABASE_URL" "$database"
done
echo "production shape: PostgreSQL and Redis on 127.0.0.1 (scripts/start-services.sh)"
exec .venv/bin/python -m pytest -q -p no:cacheprovider -m production_shape "$@"
