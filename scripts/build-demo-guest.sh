#!/usr/bin/env bash
# Builds the demo guest under var/guest: Debian's cloud kernel and a busybox
# initramfs whose /init prints a ready line and runs a shell on the serial port.
# Reuses what is there; delete var/guest to rebuild.
set -euo pipefail
dir=${1:-var/guest}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] && exit 0

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
mkdir -p "$root"/{bin,dev,proc,sys,etc/acpi/PWRF,lib/modules,tmp,root,var/log,var/run}
cp /bin/busybox "$root/bin/busybox"
# The ACPI power button reaches busybox acpid through evdev: that is what makes
# "Shut down" and "Reboot" (both ACPI requests) work on this guest.
cp "$modules/kernel/drivers/acpi/button.ko" "$modules/kernel/drivers/input/evdev.ko" "$root/lib/modules/"
cat > "$root/etc/acpi/PWRF/00000080" <<'SH'
#!/bin/sh
echo "virtconsole demo guest: power button, powering off"
poweroff -f
SH
chmod +x "$root/etc/acpi/PWRF/00000080"
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
echo "build-demo-guest: kernel and initramfs in $dir"
