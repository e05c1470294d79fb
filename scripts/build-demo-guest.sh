#!/usr/bin/env bash
# Builds the demo guest under var/guest: Debian's cloud kernel and a busybox
# initramfs whose /init prints a ready line, asks DHCP for an address on every
# ethernet interface (those present at boot and those hot-plugged later), prints
# each address it gets on the serial console, and runs a shell on the serial port.
# With a cloud-init NoCloud seed CD-ROM (label cidata) attached, it prints the seed's host name first.
# Reuses what is there when its VERSION stamp is this script's; delete var/guest to rebuild.
set -euo pipefail
# Raise when the guest changes: machines holding an older build rebuild it.
GUEST_VERSION=5
dir=${1:-var/guest}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$GUEST_VERSION" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
if [ -z "$(kernel_pkg)" ] && [ "$(id -u)" = 0 ]; then
  apt-get update -q >/dev/null  # a machine whose package lists were never fetched
fi
kernel_pkg=$(kernel_pkg)
if [ -z "$kernel_pkg" ]; then
  echo "build-demo-guest: apt knows no linux-image-cloud-amd64; run 'apt-get update' and retry." >&2
  exit 1
fi
echo "build-demo-guest: fetching $kernel_pkg"
(cd "$work" && apt-get download -q "$kernel_pkg" 2>/dev/null)
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
modules=$(echo "$work"/kernel/lib/modules/*)

root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,etc/acpi/PWRF,lib/modules,tmp,root,var/log,var/run,media/seed}
cp /bin/busybox "$root/bin/busybox"
# The ACPI power button reaches busybox acpid through evdev: that is what makes
# "Shut down" and "Reboot" (both ACPI requests) work on this guest.
cp "$modules/kernel/drivers/acpi/button.ko" "$modules/kernel/drivers/input/evdev.ko" "$root/lib/modules/"

# virtio-net and what it needs, in load order (dependencies first). The package ships no modules.dep
# (depmod runs at install), so each module's "depends=" is read from its .modinfo section; a module
# the kernel has built in (modules.builtin) is skipped.
load_order=()
add_module() {
  local name=$1 file dep
  [[ " ${load_order[*]} " == *" $name "* ]] && return
  if grep -q "/$name.ko" "$modules/modules.builtin"; then return; fi
  file=$(find "$modules/kernel" -name "$name.ko" | head -1)
  if [ -z "$file" ]; then
    echo "build-demo-guest: module $name is neither built in nor shipped by the kernel package" >&2
    exit 1
  fi
  for dep in $(grep -a -o 'depends=[A-Za-z0-9_,-]*' "$file" | head -1 | cut -d= -f2 | tr ',' ' '); do
    add_module "${dep//-/_}"
  done
  cp "$file" "$root/lib/modules/"
  load_order+=("$name")
}
add_module virtio_pci
add_module virtio_net
printf '%s\n' "${load_order[@]}" > "$root/lib/modules/net.order"
# The IDE CD-ROM of the pc machine (the cloud kernel builds none of it in): the seed CD is read with these.
load_order=()
add_module ata_piix
add_module sr_mod
add_module isofs
printf '%s\n' "${load_order[@]}" > "$root/lib/modules/cd.order"

mkdir -p "$root/etc/udhcpc"
# udhcpc calls this with $1 = deconfig | bound | renew | leasefail | nak and the lease in the environment.
cat > "$root/etc/udhcpc/script" <<'SH'
#!/bin/sh
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    printf "\nvirtconsole demo guest: %s %s/%s\n" "$interface" "$ip" "${mask:-24}" > /dev/console
    ;;
esac
exit 0
SH
chmod +x "$root/etc/udhcpc/script"
# One DHCP client per ethernet interface, for those present now and those hot-plugged later: the
# kernel has no uevent helper (CONFIG_UEVENT_HELPER is off), so a loop looks once a second.
cat > "$root/bin/dhcp-every-nic" <<'SH'
#!/bin/sh
# A NIC unplugged and another plugged under the same name has a new ifindex: its old client, bound to
# the gone device, is replaced.
while true; do
  for path in /sys/class/net/*; do
    nic=${path##*/}
    [ "$(cat "$path/type" 2>/dev/null)" = 1 ] || continue
    index=$(cat "$path/ifindex" 2>/dev/null)
    [ "$(cat "/var/run/dhcp.$nic.index" 2>/dev/null)" = "$index" ] && continue
    [ -f "/var/run/dhcp.$nic.pid" ] && kill "$(cat "/var/run/dhcp.$nic.pid")" 2>/dev/null
    echo "$index" > "/var/run/dhcp.$nic.index"
    ip link set "$nic" up
    # A discover a second apart, and again after 2 s: busybox's defaults (3 s apart, then 20 s of waiting)
    # made a NIC hot-plugged before its link was up wait half a minute for the offer it had missed.
    udhcpc -f -S -t 5 -T 1 -A 2 -i "$nic" -s /etc/udhcpc/script -x hostname:demo >/dev/null 2>&1 &
    echo $! > "/var/run/dhcp.$nic.pid"
  done
  sleep 1
done
SH
chmod +x "$root/bin/dhcp-every-nic"
cat > "$root/etc/acpi/PWRF/00000080" <<'SH'
#!/bin/sh
echo "virtconsole demo guest: power button, powering off"
poweroff -f
SH
chmod +x "$root/etc/acpi/PWRF/00000080"
# The NoCloud seed: a CD-ROM labelled cidata whose meta-data names the host. The kernel's own messages
# about the CD drive stay off the serial console (its level lowered while the drivers load), so the
# console reads as before for every guest without a seed.
cat > "$root/bin/read-seed" <<'SH'
#!/bin/sh
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 1
for module in $(cat /lib/modules/cd.order); do insmod "/lib/modules/$module.ko" 2>/dev/null; done
dmesg -n "$level"
for cd in /dev/sr*; do
  [ -b "$cd" ] || continue
  # The ISO 9660 volume label: 32 bytes at offset 40 of the primary volume descriptor (sector 16).
  label=$(dd if="$cd" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' ')
  [ "$label" = cidata ] || continue
  mount -t iso9660 -o ro "$cd" /media/seed 2>/dev/null || continue
  name=$(sed -n 's/^local-hostname: *//p' /media/seed/meta-data | tr -d "\"'\r")
  if [ -n "$name" ]; then
    hostname "$name"
    echo "cloud-init seed hostname: $name"
  fi
  umount /media/seed
done
SH
chmod +x "$root/bin/read-seed"
cat > "$root/init" <<'SH'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
insmod /lib/modules/button.ko 2>/dev/null
insmod /lib/modules/evdev.ko 2>/dev/null
acpid -c /etc/acpi
hostname demo
ip link set lo up
for module in $(cat /lib/modules/net.order); do insmod "/lib/modules/$module.ko" 2>/dev/null; done
dhcp-every-nic &
read-seed
echo "virtconsole demo guest ready"
while true; do
  setsid cttyhack sh -l
done
SH
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$dir/initrd.img.tmp"
cp "$work"/kernel/boot/vmlinuz-* "$dir/vmlinuz.tmp"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
mv "$dir/initrd.img.tmp" "$dir/initrd.img"
echo "$GUEST_VERSION" > "$dir/VERSION"
echo "build-demo-guest: kernel and initramfs in $dir"
