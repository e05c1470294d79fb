#!/bin/sh
# Start (or stop) a second libvirtd on this machine that libvirt sees as another host, for migration tests and demos.
#
#   start-second-libvirtd.sh start   idempotent: does nothing if the pair already answers
#   start-second-libvirtd.sh stop    destroys the second host's guests, stops it, removes its namespace and veth
#
# The second libvirtd runs in its own network namespace (10.250.0.2, reached from the host through the veth pair
# vc-second0/vc-second1 on the private /30 10.250.0.0/30), its own UTS namespace (hostname virtconsole-second) and
# its own mount namespace where /run/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt and
# /etc/libvirt are private directories under /run/virtconsole-second; its host_uuid differs from the first's.
# It listens on qemu+tcp://10.250.0.2/system (no auth: only this machine can reach that address) and on
# qemu+tls://10.250.0.2/system (certificates from make-tls-certs.sh under /etc/pki, which both namespaces share).
# The first libvirtd (started by start-libvirtd.sh: unix socket, TLS on 127.0.0.1) is made reachable as
# qemu+tcp://10.250.0.1/system and qemu+tls://10.250.0.1/system through socat (the TLS one passes the encrypted
# stream through untouched: the first libvirtd itself speaks TLS), so that peer-to-peer migration works in both
# directions over either. QEMU's native TLS migration (VIR_MIGRATE_TLS) uses /etc/pki/qemu on both hosts.
# Disks both hosts can open live under /var/lib/virtconsole-shared (and /tmp), which neither namespace hides.
set -eu

STATE=/run/virtconsole-second
NETNS=virtconsole-second
HOST_IF=vc-second0
NS_IF=vc-second1
HOST_ADDR=10.250.0.1
NS_ADDR=10.250.0.2
SECOND_UUID=5ec0d000-0000-4000-8000-000000000002
SHARED=/var/lib/virtconsole-shared

second_answers() {
    virsh -c "qemu+tcp://$NS_ADDR/system" uri >/dev/null 2>&1
}

first_answers_over_tcp() {
    virsh -c "qemu+tcp://$HOST_ADDR/system" uri >/dev/null 2>&1
}

answers_over_tls() {
    virsh -c "qemu+tls://$1/system" uri >/dev/null 2>&1
}

pair_answers() {
    second_answers && first_answers_over_tcp && answers_over_tls "$NS_ADDR" && answers_over_tls "$HOST_ADDR"
}

# Run a daemon with no descriptor of ours but stdin/out/err: a lock a caller holds (this script's fd 9, the
# heavy.lock of `flock heavy.lock make test`) would otherwise stay held for the daemon's whole life.
CLOSE_FDS_THEN_EXEC='for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@"'
detached() {
    bash -c "$CLOSE_FDS_THEN_EXEC" detached "$@" </dev/null >/dev/null 2>&1
}

pid_alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "start-second-libvirtd: only root can $1 the second libvirtd; run this script as root" >&2
        exit 1
    fi
}

write_configs() {
    mkdir -p "$STATE/run" "$STATE/lib/qemu" "$STATE/lib/images" "$STATE/log/qemu" "$STATE/cache" "$STATE/etc" "$SHARED"
    cat >"$STATE/etc/libvirtd.conf" <<EOF
# The second host of virtconsole's migration pair (scripts/start-second-libvirtd.sh).
listen_tls = 1
listen_tcp = 1
listen_addr = "$NS_ADDR"
auth_tcp = "none"
host_uuid = "$SECOND_UUID"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    # No virtlogd in the namespace (stdio_handler "file"); no cgroups, so its QEMU processes cannot collide with the
    # first host's cgroup of a guest of the same name and id during a migration.
    cat >"$STATE/etc/qemu.conf" <<EOF
user = "root"
group = "root"
stdio_handler = "file"
cgroup_controllers = []
security_driver = "none"
# Sources send migration data here unless the migration names its own address.
migration_host = "$NS_ADDR"
EOF
}

start_network() {
    [ -e "/run/netns/$NETNS" ] || ip netns add "$NETNS"
    if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
        ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NETNS"
        ip addr add "$HOST_ADDR/30" dev "$HOST_IF"
        ip link set "$HOST_IF" up
        ip netns exec "$NETNS" ip addr add "$NS_ADDR/30" dev "$NS_IF"
        ip netns exec "$NETNS" ip link set "$NS_IF" up
        ip netns exec "$NETNS" ip link set lo up
    fi
}

start_first_over_tcp() {
    if ! pid_alive "$STATE/socat.pid"; then
        # Bound to the veth's host address only: nothing off this machine can reach it.
        # A simple command in the background, so that $! is socat's own pid (sh execs it).
        bash -c "$CLOSE_FDS_THEN_EXEC" detached socat "TCP-LISTEN:16509,bind=$HOST_ADDR,reuseaddr,fork" \
            UNIX-CONNECT:/run/libvirt/libvirt-sock </dev/null >/dev/null 2>&1 &
        echo $! >"$STATE/socat.pid"
    fi
    if ! pid_alive "$STATE/socat-tls.pid"; then
        bash -c "$CLOSE_FDS_THEN_EXEC" detached socat "TCP-LISTEN:16514,bind=$HOST_ADDR,reuseaddr,fork" \
            TCP:127.0.0.1:16514 </dev/null >/dev/null 2>&1 &
        echo $! >"$STATE/socat-tls.pid"
    fi
}

stop_pid() {
    if pid_alive "$1"; then
        pid=$(cat "$1")
        kill "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    fi
    rm -f "$1"
}

start_second() {
    if pid_alive "$STATE/libvirtd.pid" && ! answers_over_tls "$NS_ADDR"; then
        # Started before it listened for TLS: restart the daemon (its guests keep running).
        stop_pid "$STATE/libvirtd.pid"
    fi
    if pid_alive "$STATE/libvirtd.pid"; then
        return
    fi
    # The daemon is the namespace's only long-lived process; its mount and UTS namespaces die with it.
    detached ip netns exec "$NETNS" unshare --mount --uts --propagation private sh -c "
        set -e
        hostname virtconsole-second
        mount --bind $STATE/run /run/libvirt
        mount --bind $STATE/lib /var/lib/libvirt
        mount --bind $STATE/log /var/log/libvirt
        mount --bind $STATE/cache /var/cache/libvirt
        mount --bind $STATE/etc /etc/libvirt
        exec libvirtd -d --listen -p $STATE/libvirtd.pid -f /etc/libvirt/libvirtd.conf
    "
}

wait_until_answering() {
    i=0
    while ! pair_answers; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then
            echo "start-second-libvirtd: the pair did not answer on qemu+tcp:// and qemu+tls:// at $NS_ADDR and" \
                "$HOST_ADDR within 30 s; see $STATE/log/libvirtd.log and /var/log/libvirt/libvirtd.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

start() {
    if pair_answers; then
        exit 0
    fi
    need_root start
    bash "$(dirname "$0")/start-libvirtd.sh"
    mkdir -p "$STATE"
    # Serialise concurrent starters; the daemons must not inherit fd 9, or they would hold the lock for ever.
    exec 9>"$STATE.lock"
    flock -w 60 9
    if pair_answers; then
        exit 0
    fi
    for dir in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do
        mkdir -p "$dir"
    done
    write_configs
    start_network
    start_first_over_tcp
    start_second
    wait_until_answering
}

stop() {
    need_root stop
    mkdir -p "$STATE"
    exec 9>"$STATE.lock"
    flock -w 60 9
    if second_answers; then
        for name in $(virsh -c "qemu+tcp://$NS_ADDR/system" list --name 2>/dev/null); do
            virsh -c "qemu+tcp://$NS_ADDR/system" destroy "$name" >/dev/null 2>&1 || true
        done
    fi
    for pidfile in "$STATE/libvirtd.pid" "$STATE/socat.pid" "$STATE/socat-tls.pid"; do
        stop_pid "$pidfile"
    done
    ip link show "$HOST_IF" >/dev/null 2>&1 && ip link del "$HOST_IF"
    [ -e "/run/netns/$NETNS" ] && ip netns del "$NETNS"
    return 0
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
