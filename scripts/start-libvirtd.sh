#!/bin/sh
# Start a system libvirtd (and its virtlogd) for tests and demos; does nothing if one already answers.
#
# Besides its unix socket, it listens for TLS on 127.0.0.1 only (qemu+tls://127.0.0.1/system, certificates from
# make-tls-certs.sh): nothing off this machine can reach it. A libvirtd that answers but not over TLS (started
# before TLS was set up) is restarted once with --listen; its running guests keep running.
set -eu

admin_answers() {
    virt-admin -c libvirtd:///system srv-list >/dev/null 2>&1
}

tls_answers() {
    virsh -c qemu+tls://127.0.0.1/system uri >/dev/null 2>&1
}

ready() {
    admin_answers && { [ "$tls" = 0 ] || tls_answers; }
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

tls=1
if admin_answers && tls_answers; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    # Only root can set TLS up; a running libvirtd is what this user gets.
    admin_answers && exit 0
    echo "start-libvirtd: libvirtd is not running and only root can start it; run this script as root" >&2
    exit 1
fi

# Serialise concurrent starters (make test, the pytest fixture, a second shell).
# The daemons below must not inherit fd 9, or they would hold the lock for ever.
exec 9>/run/virtconsole-start-libvirtd.lock
flock -w 60 9

if ! sh "$(dirname "$0")/make-tls-certs.sh"; then
    echo "start-libvirtd: no TLS certificates, so libvirtd listens on its unix socket only (qemu+tls:// will not" \
        "answer)" >&2
    tls=0
fi
if ready; then
    exit 0
fi

mkdir -p /var/log/libvirt /run/libvirt /etc/libvirt

# The QEMU driver resolves its default user before it reads qemu.conf, so the
# account must exist even though QEMU will run as root.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    useradd --system --gid libvirt-qemu --no-create-home --shell /usr/sbin/nologin libvirt-qemu

# Debian ships no qemu.conf: QEMU would run as libvirt-qemu, which cannot open a
# root-only /dev/kvm, and libvirtd would re-probe QEMU (about 30 s) on every define.
conf=/etc/libvirt/qemu.conf
touch "$conf"
grep -Eq '^[[:space:]]*user[[:space:]]*=' "$conf" || echo 'user = "root"' >>"$conf"
grep -Eq '^[[:space:]]*group[[:space:]]*=' "$conf" || echo 'group = "root"' >>"$conf"

# TLS on the loopback address only; the migration pair's second host reaches it through
# start-second-libvirtd.sh's forward on its private veth. No plain TCP: the unix socket serves local clients.
conf=/etc/libvirt/libvirtd.conf
touch "$conf"
grep -Eq '^[[:space:]]*listen_tls[[:space:]]*=' "$conf" || echo 'listen_tls = 1' >>"$conf"
grep -Eq '^[[:space:]]*listen_tcp[[:space:]]*=' "$conf" || echo 'listen_tcp = 0' >>"$conf"
grep -Eq '^[[:space:]]*listen_addr[[:space:]]*=' "$conf" || echo 'listen_addr = "127.0.0.1"' >>"$conf"
listen=""
[ "$tls" = 1 ] && listen="--listen"

started_without_listen() {
    pid_alive /run/libvirtd.pid && ! tr '\0' ' ' <"/proc/$(cat /run/libvirtd.pid)/cmdline" | grep -q -- '--listen'
}

if [ "$tls" = 1 ] && admin_answers && started_without_listen; then
    # Answers, but cannot over TLS: started without --listen. Guests outlive their libvirtd; clients reconnect.
    pid=$(cat /run/libvirtd.pid)
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 300 ]; then
            echo "start-libvirtd: libvirtd (pid $pid) did not stop within 30 s for its restart with TLS" >&2
            exit 1
        fi
        sleep 0.1
    done
fi

if ! pid_alive /run/virtlogd.pid; then
    detached virtlogd -d
fi
if ! pid_alive /run/libvirtd.pid; then
    detached libvirtd -d $listen
fi

# libvirtd forks before it listens: wait for the admin socket (and TLS) to answer.
i=0
while ! ready; do
    i=$((i + 1))
    if [ "$i" -gt 30 ] && ! pid_alive /run/libvirtd.pid; then
        echo "start-libvirtd: libvirtd exited during start-up; last lines of /var/log/libvirt/libvirtd.log:" >&2
        tail -n 5 /var/log/libvirt/libvirtd.log >&2 || true
        exit 1
    fi
    if [ "$i" -gt 300 ]; then
        echo "start-libvirtd: libvirtd did not answer on its admin socket (or over TLS on 127.0.0.1) within 30 s; see /var/log/libvirt/libvirtd.log" >&2
        exit 1
    fi
    sleep 0.1
done
