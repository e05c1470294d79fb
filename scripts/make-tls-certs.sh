#!/bin/sh
# Make the CA and the certificates libvirt (qemu+tls://) and QEMU (native TLS migration) use on this machine.
#
# Idempotent: does nothing while every file is there and the certificates still verify against the CA.
# Files (libvirt's and QEMU's default places, so no libvirtd.conf or qemu.conf setting is needed):
#   /etc/pki/CA/cacert.pem, /etc/pki/CA/private/cakey.pem                      the CA
#   /etc/pki/libvirt/servercert.pem + private/serverkey.pem                   each libvirtd's server certificate
#   /etc/pki/libvirt/clientcert.pem + private/clientkey.pem                   libvirt clients (the console, virsh,
#                                                                              a libvirtd migrating peer-to-peer)
#   /etc/pki/qemu/{ca-cert,server-cert,server-key,client-cert,client-key}.pem QEMU's migration TLS directory
# The second libvirtd of the migration pair (start-second-libvirtd.sh) sees the same /etc/pki (its mount namespace
# hides only libvirt's own directories), so both hosts share one server certificate: its subjectAltNames name
# every address either is reached at (127.0.0.1, 10.250.0.1, 10.250.0.2, localhost).
# This is a test and demo CA: its key sits beside its certificate, readable by root only.
set -eu

CA_DIR=/etc/pki/CA
LIBVIRT_DIR=/etc/pki/libvirt
QEMU_DIR=/etc/pki/qemu
ADDRESSES="127.0.0.1 10.250.0.1 10.250.0.2"
NAMES="localhost virtconsole-second"
DAYS=3650

verifies() {
    [ -s "$2" ] && certtool --verify --load-ca-certificate "$1" --infile "$2" >/dev/null 2>&1
}

all_there() {
    for file in "$CA_DIR/cacert.pem" "$LIBVIRT_DIR/private/serverkey.pem" "$LIBVIRT_DIR/private/clientkey.pem" \
        "$QEMU_DIR/ca-cert.pem" "$QEMU_DIR/server-key.pem" "$QEMU_DIR/client-key.pem"; do
        [ -s "$file" ] || return 1
    done
    for cert in "$LIBVIRT_DIR/servercert.pem" "$LIBVIRT_DIR/clientcert.pem" "$QEMU_DIR/server-cert.pem" \
        "$QEMU_DIR/client-cert.pem"; do
        verifies "$CA_DIR/cacert.pem" "$cert" || return 1
    done
    cmp -s "$CA_DIR/cacert.pem" "$QEMU_DIR/ca-cert.pem"
}

if all_there; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "make-tls-certs: the TLS certificates under /etc/pki are missing or stale and only root can make them;" \
        "run this script as root" >&2
    exit 1
fi
if ! command -v certtool >/dev/null; then
    echo "make-tls-certs: certtool is missing: install Debian's gnutls-bin (scripts/setup.sh does), then run this" \
        "again" >&2
    exit 1
fi

mkdir -p "$CA_DIR" "$LIBVIRT_DIR" "$QEMU_DIR"
umask 077
mkdir -p "$CA_DIR/private" "$LIBVIRT_DIR/private"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

template() {
    # $1 file, $2 common name, then the template's other lines
    file=$1 cn=$2
    shift 2
    {
        echo "organization = virtconsole test CA"
        echo "cn = $cn"
        echo "expiration_days = $DAYS"
        for line in "$@"; do echo "$line"; done
    } >"$work/$file"
}

template ca.info "virtconsole test CA" "ca" "cert_signing_key"
certtool --generate-privkey --outfile "$work/cakey.pem" 2>/dev/null
certtool --generate-self-signed --load-privkey "$work/cakey.pem" --template "$work/ca.info" \
    --outfile "$work/cacert.pem" 2>/dev/null

template server.info "virtconsole host" "tls_www_server" "encryption_key" "signing_key"
for address in $ADDRESSES; do echo "ip_address = $address" >>"$work/server.info"; done
for name in $NAMES; do echo "dns_name = $name" >>"$work/server.info"; done
template client.info "virtconsole client" "tls_www_client" "encryption_key" "signing_key"
for who in server client; do
    certtool --generate-privkey --outfile "$work/$who-key.pem" 2>/dev/null
    certtool --generate-certificate --load-privkey "$work/$who-key.pem" --load-ca-certificate "$work/cacert.pem" \
        --load-ca-privkey "$work/cakey.pem" --template "$work/$who.info" --outfile "$work/$who-cert.pem" 2>/dev/null
done

# Certificates are public (QEMU and libvirtd run as root here, but clients of other users read the CA); keys are not.
install -m 644 "$work/cacert.pem" "$CA_DIR/cacert.pem"
install -m 600 "$work/cakey.pem" "$CA_DIR/private/cakey.pem"
install -m 644 "$work/server-cert.pem" "$LIBVIRT_DIR/servercert.pem"
install -m 600 "$work/server-key.pem" "$LIBVIRT_DIR/private/serverkey.pem"
install -m 644 "$work/client-cert.pem" "$LIBVIRT_DIR/clientcert.pem"
install -m 600 "$work/client-key.pem" "$LIBVIRT_DIR/private/clientkey.pem"
install -m 644 "$work/cacert.pem" "$QEMU_DIR/ca-cert.pem"
for who in server client; do
    install -m 644 "$work/$who-cert.pem" "$QEMU_DIR/$who-cert.pem"
    install -m 600 "$work/$who-key.pem" "$QEMU_DIR/$who-key.pem"
done
