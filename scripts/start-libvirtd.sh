#!/bin/sh
# Start a system libvirtd (and its virtlogd) for tests and demos; does nothing if one already answers.
set -eu

admin_answers() {
    virt-admin -c libvirtd:///system srv-list >/dev/null 2>&1
}

pid_alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

if admin_answers; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "start-libvirtd: libvirtd is not running and only root can start it; run this script as root" >&2
    exit 1
fi

# Serialise concurrent starters (make test, the pytest fixture, a second shell).
# The daemons below must not inherit fd 9, or they would hold the lock for ever.
exec 9>/run/virtconsole-start-libvirtd.lock
flock -w 60 9
if admin_answers; then
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

if ! pid_alive /run/virtlogd.pid; then
    virtlogd -d </dev/null >/dev/null 2>&1 9>&-
fi
if ! pid_alive /run/libvirtd.pid; then
    libvirtd -d </dev/null >/dev/null 2>&1 9>&-
fi

# libvirtd forks before it listens: wait for the admin socket to answer.
i=0
while ! admin_answers; do
    i=$((i + 1))
    if [ "$i" -gt 30 ] && ! pid_alive /run/libvirtd.pid; then
        echo "start-libvirtd: libvirtd exited during start-up; last lines of /var/log/libvirt/libvirtd.log:" >&2
        tail -n 5 /var/log/libvirt/libvirtd.log >&2 || true
        exit 1
    fi
    if [ "$i" -gt 300 ]; then
        echo "start-libvirtd: libvirtd did not answer on its admin socket within 30 s; see /var/log/libvirt/libvirtd.log" >&2
        exit 1
    fi
    sleep 0.1
done
