#!/bin/sh
# Start the PostgreSQL cluster and the Redis server of the production shape (tests, `make cluster`) from
# Debian's packages, without systemd; does nothing if both already answer. Prints the settings that reach
# them (DATABASE_URL=..., CHANNEL_LAYER_URL=...), one a line, for `export` or an env file.
#
# Both listen on 127.0.0.1 only, on ports apart from the packages' own services (5432, 6379), so a
# machine's own PostgreSQL or Redis is never touched. The cluster is for tests and local clusters: fsync
# off (a crash may lose it; nothing in it outlives a test run), a fixed password on loopback.
set -eu

pg_port=${VIRTCONSOLE_PG_PORT:-5433}
redis_port=${VIRTCONSOLE_REDIS_PORT:-6380}
pg_cluster=virtconsole
pg_role=virtconsole
pg_password=virtconsole
database_url="postgres://$pg_role:$pg_password@127.0.0.1:$pg_port/virtconsole"
channel_layer_url="redis://127.0.0.1:$redis_port/0"

print_settings() {
    echo "DATABASE_URL=$database_url"
    echo "CHANNEL_LAYER_URL=$channel_layer_url"
}

# A login as the console's role into its database, not just a port that answers: that proves the role and
# the database exist too (a start interrupted before it made them is finished on the next run).
pg_answers() {
    PGPASSWORD=$pg_password PGCONNECT_TIMEOUT=2 psql -h 127.0.0.1 -p "$pg_port" -U "$pg_role" -d virtconsole \
        -tAc 'select 1' >/dev/null 2>&1
}

redis_answers() {
    [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]
}

pid_alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_for WHAT CHECK LOG: poll CHECK every 0.1 s until it answers, up to 30 s.
wait_for() {
    i=0
    while ! $2; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then
            echo "start-services: $1 did not answer within 30 s; last lines of $3:" >&2
            tail -n 5 "$3" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}

if pg_answers && redis_answers; then
    print_settings
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "start-services: PostgreSQL or Redis is not running on 127.0.0.1:$pg_port / :$redis_port and only root" \
         "can start them; run this script as root" >&2
    exit 1
fi
for program in pg_createcluster redis-server; do
    if ! command -v "$program" >/dev/null; then
        echo "start-services: $program is missing: install Debian's postgresql and redis-server packages" \
             "(bash scripts/setup.sh --test does)" >&2
        exit 1
    fi
done

# Serialise concurrent starters (two test runs, a test run and `make cluster`).
# The daemons below must not inherit fd 9, or they would hold the lock for ever.
exec 9>/run/virtconsole-start-services.lock
flock -w 120 9

# PostgreSQL: a Debian cluster of its own (pg_createcluster, pg_ctlcluster: the packages' own tools, which
# start the server directly where there is no systemd), the newest installed major version.
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
pg_log=/var/log/postgresql/postgresql-$pg_version-$pg_cluster.log
pg_ready() {
    pg_isready -q -h 127.0.0.1 -p "$pg_port"
}
if ! pg_answers; then
    if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1 == v && $2 == c {found = 1} END {exit !found}'; then
        # ICU's en-US collation: names sort as on a production cluster made under an en_US locale
        # (case-insensitive first), where C (the default here) would sort like SQLite and hide an order
        # that only SQLite gives.
        pg_createcluster --port "$pg_port" --start-conf manual "$pg_version" "$pg_cluster" \
            -- --locale-provider=icu --icu-locale=en-US >/dev/null 9>&-
    fi
    # Debian's postgresql.conf reads conf.d/ last: ours wins over its defaults.
    cat >"/etc/postgresql/$pg_version/$pg_cluster/conf.d/virtconsole.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if ! pg_ready; then
        # pg_ctlcluster waits until the server accepts connections; 2 is "already running" (a start a
        # moment ago, not yet answering): the wait below decides.
        rc=0
        pg_ctlcluster "$pg_version" "$pg_cluster" start </dev/null >/dev/null 2>&1 9>&- || rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
            echo "start-services: PostgreSQL $pg_version/$pg_cluster did not start; last lines of $pg_log:" >&2
            tail -n 5 "$pg_log" >&2 || true
            exit 1
        fi
    fi
    wait_for "PostgreSQL $pg_version/$pg_cluster on 127.0.0.1:$pg_port" pg_ready "$pg_log"
    as_postgres() {
        runuser -u postgres -- psql -X -q -p "$pg_port" -v ON_ERROR_STOP=1 "$@" 9>&-
    }
    # CREATEDB: the test runner makes (and drops) a test database of its own per run.
    if [ "$(as_postgres -tAc "select 1 from pg_roles where rolname = '$pg_role'")" != 1 ]; then
        as_postgres -c "create role $pg_role login createdb password '$pg_password'"
    fi
    if [ "$(as_postgres -tAc "select 1 from pg_database where datname = 'virtconsole'")" != 1 ]; then
        as_postgres -c "create database virtconsole owner $pg_role"
    fi
    wait_for "PostgreSQL login as $pg_role" pg_answers "$pg_log"
fi

# Redis as the package's redis user, nothing saved to disk: a channel layer's messages live seconds.
redis_run=/run/virtconsole-redis
redis_log=/var/log/redis/virtconsole-redis.log
if ! redis_answers; then
    mkdir -p "$redis_run" /var/log/redis
    chown redis:redis "$redis_run" /var/log/redis
    if ! pid_alive "$redis_run/redis.pid"; then
        runuser -u redis -- redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" \
            --pidfile "$redis_run/redis.pid" --logfile "$redis_log" --dir "$redis_run" \
            --save "" --appendonly no </dev/null >/dev/null 2>&1 9>&-
    fi
    wait_for "Redis on 127.0.0.1:$redis_port" redis_answers "$redis_log"
fi

print_settings
