#!/usr/bin/env bash
# `make cluster N=3`: the production shape on this machine, in the foreground until Ctrl-C. N Daphne processes
# behind Debian's nginx on http://127.0.0.1:$PORT (8000), on PostgreSQL and Redis (scripts/start-services.sh),
# with the local libvirtd (qemu:///system) as their host: no embedded host, which belongs to one process.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${N:-3}
port=${PORT:-8000}

bash scripts/setup.sh --cluster
settings=$(sh scripts/start-services.sh)
export $settings
bash scripts/start-libvirtd.sh

# A database of its own, apart from the services' `virtconsole` one that others may use by hand (a `make run`
# on it leaves an embedded host there, which `manage.py cluster` refuses).
database=virtconsole_cluster
if [ "$(psql "$DATABASE_URL" -tAc "select 1 from pg_database where datname = '$database'")" != 1 ]; then
    createdb --maintenance-db="$DATABASE_URL" "$database"
fi
DATABASE_URL="${DATABASE_URL%/*}/$database"
export DATABASE_URL

# Every process signs sessions and CSRF tokens with the same key, and so does the next run: made once.
mkdir -p var/cluster
secret=var/cluster/secret-key
if [ ! -s "$secret" ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$secret")
fi
chmod 600 "$secret"
SECRET_KEY=$(cat "$secret")
export SECRET_KEY

.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py bootstrap --no-embedded-host --add-system-host
exec .venv/bin/python manage.py cluster --processes "$processes" --port "$port"
