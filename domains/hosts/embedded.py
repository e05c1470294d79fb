"""The embedded QEMU host (qemu:///embed) and the demo guest defined on it."""

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError, translated_errors

EMBEDDED_HOST_NAME = "embedded"
DEMO_DOMAIN_NAME = "demo"
# QEMU's monitor socket lands about 60 bytes below the root and unix socket
# paths stop at 108 bytes.
MAX_ROOT_LENGTH = 45

QEMU_CONF = """\
# Written by virtconsole for the embedded QEMU driver.
user = "root"
group = "root"
stdio_handler = "file"
security_driver = "none"
namespaces = []
cgroup_controllers = []
remote_display_port_min = {port_min}
remote_display_port_max = {port_max}
"""


def embed_root(configured=None):
    """An absolute, short enough root directory for qemu:///embed."""
    root = os.path.abspath(configured or settings.EMBED_ROOT)
    if len(root) > MAX_ROOT_LENGTH:
        root = f"/var/tmp/virtconsole-{hashlib.sha256(root.encode()).hexdigest()[:10]}"
    return root


def prepare_root(root, vnc_ports=None):
    """Give the embedded driver its qemu.conf (no virtlogd, no cgroups, no namespaces, its VNC ports)."""
    port_min, port_max = vnc_ports or (settings.EMBED_VNC_PORT_MIN, settings.EMBED_VNC_PORT_MAX)
    text = QEMU_CONF.format(port_min=port_min, port_max=port_max)
    etc = Path(root) / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    conf = etc / "qemu.conf"
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    return root


def embedded_uri(root):
    return f"qemu:///embed?root={root}"


def ensure_embedded_host():
    """The embedded host row, created on first run."""
    root = prepare_root(embed_root())
    host, _ = Host.objects.get_or_create(
        embedded=True, defaults={"name": EMBEDDED_HOST_NAME, "uri": embedded_uri(root)}
    )
    if host.uri != embedded_uri(root):
        host.uri = embedded_uri(root)
        host.save(update_fields=["uri"])
    return host


def demo_domain_xml(guest_dir, name=DEMO_DOMAIN_NAME):
    guest_dir = Path(guest_dir).resolve()
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <title>virtconsole demo guest</title>
  <description>Debian cloud kernel and a busybox shell on the serial port.</description>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='MiB'>256</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{guest_dir / 'vmlinuz'}</kernel>
    <initrd>{guest_dir / 'initrd.img'}</initrd>
    <cmdline>console=tty0 console=ttyS0 panic=-1</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc'>
      <listen type='none'/>
    </graphics>
    <video>
      <model type='vga'/>
    </video>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""


def ensure_demo_domain(host, guest_dir=None, name=DEMO_DOMAIN_NAME):
    """Define the demo guest on host unless a domain of that name exists; returns the virDomain."""
    guest_dir = Path(guest_dir or settings.DEMO_GUEST_DIR)
    if not (guest_dir / "vmlinuz").exists():
        raise VirtError(format_lazy(_("The demo guest is not built in {directory}: run scripts/build-demo-guest.sh."),
                                    directory=guest_dir))
    conn = adapter.connection_for(host).get()
    existing = adapter.find_domain(conn, name=name)
    if existing is not None:
        return existing
    with translated_errors():
        return conn.defineXML(demo_domain_xml(guest_dir, name))
