#!/usr/bin/env bash
# Installs what virtconsole needs on Debian 12 and prepares var/: Debian packages
# when missing, the virtualenv, front-end packages, the demo guest, the database.
# Idempotent and quick on a second run. With --test, also what the tests need; with --cluster, also what the
# production shape on one machine needs (`make cluster`: PostgreSQL, Redis, nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
want_cluster=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --cluster) want_cluster=1 ;;
    *) echo "setup: unknown option $arg (known: --test, --cluster)" >&2; exit 2 ;;
  esac
done

packages=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev pkg-config
          qemu-system-x86 qemu-utils busybox-static cpio gzip libxml2-utils gcc python3-dev python3-venv
          dnsmasq-base iptables libvirt-daemon-config-nwfilter libpq5 osinfo-db gnutls-bin gettext)
# gettext: msgfmt compiles the pages' translations (locale/*/LC_MESSAGES/*.po) for Django.
# gnutls-bin: certtool makes the CA and certificates of qemu+tls:// and of TLS migration (scripts/make-tls-certs.sh).
# osinfo-db: the operating systems the create flow offers, with their recommended sizes (read as XML data).
# libpq5: psycopg's PostgreSQL client library (DATABASE_URL=postgres://...).
# dnsmasq-base and iptables: libvirt's virtual networks run dnsmasq for DHCP/DNS and (libvirt 9.0) set up
# their NAT and isolation rules with iptables. libvirtd must start after iptables is installed: it tries
# its firewall chains once per daemon life and keeps the failure until it restarts.
# libvirt-daemon-config-nwfilter: libvirt's stock traffic filters (clean-traffic, no-ip-spoofing, ...), the
# ones a user attaches to an interface; libvirtd reads them when it starts.
command -v npm >/dev/null || packages+=(nodejs npm)
# lvm2, e2fsprogs and parted: the storage tests build logical, fs and disk pools on loop devices.
# postgresql and redis-server: part of the suite runs again on them (scripts/start-services.sh starts them).
# isolinux and syslinux-common: the install tests build a bootable ISO of the demo guest (El Torito, isolinux).
# socat: the migration pair reaches the first libvirtd over tcp (scripts/start-second-libvirtd.sh).
# nginx-light: tests/cluster runs several processes behind it, as `make cluster` does.
[ $want_test = 1 ] && packages+=(chromium lvm2 e2fsprogs parted postgresql redis-server socat isolinux syslinux-common
                                 nginx-light)
# --cluster (`make cluster`): Debian's nginx-light in front of the processes, PostgreSQL and Redis behind them.
[ $want_cluster = 1 ] && packages+=(nginx-light postgresql redis-server)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run this as root (or with passwordless sudo), or install them first with apt-get." >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The embedded QEMU driver looks this user up even when QEMU runs as root.
if ! getent passwd libvirt-qemu >/dev/null; then
  ${sudo:-} useradd --system --no-create-home --shell /usr/sbin/nologin libvirt-qemu
fi

mkdir -p var
python=${PYTHON:-python3}
stamp="var/.venv-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x .venv/bin/python ] || [ ! -e "$stamp" ]; then
  echo "setup: installing the Python packages into .venv"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  rm -f var/.venv-*; touch "$stamp"
fi

npm_stamp="var/.npm-$(sha256sum package.json | cut -c1-16)"
if [ ! -d node_modules ] || [ ! -e "$npm_stamp" ]; then
  echo "setup: installing front-end packages"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  rm -f var/.npm-*; touch "$npm_stamp"
fi

bash scripts/build-demo-guest.sh var/guest >/dev/null
.venv/bin/python manage.py migrate --noinput -v0
# The translations' .mo files are built, not kept in git.
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules --ignore=var
.venv/bin/python manage.py collectstatic --noinput -v0
