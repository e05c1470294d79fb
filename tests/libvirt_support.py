"""Behind the console's back on a real libvirtd: the test's own connection, the demo guest on a disk, clearing
away everything a test named, and waiting for a job the console started."""

import contextlib
import re
import subprocess
import threading
import uuid
from pathlib import Path

import libvirt
from django.conf import settings

from domains.hosts.embedded import demo_domain_xml
from domains.jobs.models import Job
from domains.libvirt.adapter import daemon_uri
from tests.conftest import wait_for

MiB = 1024 * 1024

# The pair of libvirtds (fixture libvirtd_pair, scripts/start-second-libvirtd.sh), each seen as another host.
FIRST_URI = "qemu+tcp://10.250.0.1/system"
SECOND_URI = "qemu+tcp://10.250.0.2/system"
# A directory both see.
SHARED = Path("/var/lib/virtconsole-shared")
# Private to each host: the second libvirtd's mount namespace has its own /var/lib/libvirt, which is
# SECOND_PRIVATE here.
PRIVATE = Path("/var/lib/libvirt/images")
SECOND_PRIVATE = Path("/run/virtconsole-second/lib/images")


def own_connection(uri="qemu:///system"):
    """A libvirt connection of the test's own, for setting up and checking behind the console's back."""
    return libvirt.open(daemon_uri(uri))


def guest_with_disk(name, disk_path):
    """The demo guest's XML with one qcow2 disk (vda) and no network."""
    xml = demo_domain_xml(settings.DEMO_GUEST_DIR, name)
    xml = re.sub(r"<interface type='user'>.*?</interface>", "", xml, flags=re.S)
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk_path}'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    return xml.replace("<devices>", "<devices>" + disk, 1)


def own_dir_pool(conn, directory, name):
    """A persistent dir pool called name on the new directory, started; the directory world-readable, since QEMU runs
    as another user than the test (a pytest tmp_path is private)."""
    directory.mkdir()
    directory.chmod(0o755)
    pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>{name}</name><target><path>{directory}</path>"
                                     "</target></pool>")
    pool.create()
    return pool


@contextlib.contextmanager
def demo_guest_in_own_pool(label, directory, *, running, xml=guest_with_disk):
    """(prefix, dom, pool): the demo guest <prefix>-guest, running or shut off, on a 64 MiB qcow2 v3 volume (what
    qemu-img makes today; this libvirt's own default is v2, which holds no checkpoint bitmaps) of the dir pool
    <prefix> (<label>-<hex>) on directory/<prefix>, through the system libvirtd and a connection of the test's
    own (a served console has its own database). xml(name, disk path) makes its definition. Everything named
    <prefix> is removed afterwards, even when the test fails."""
    prefix = f"{label}-{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    try:
        pool = own_dir_pool(conn, directory / prefix, prefix)
        vol = pool.createXML(f"<volume><name>{prefix}-base.qcow2</name><capacity>{64 * MiB}</capacity>"
                             "<target><format type='qcow2'/><compat>1.1</compat></target></volume>", 0)
        dom = conn.defineXML(xml(f"{prefix}-guest", vol.path()))
        if running:
            dom.create()
        yield prefix, dom, pool
    finally:
        remove_everything(conn, prefix)
        conn.close()


def make_pool(conn, name, directory):
    """A transient dir pool called name on directory (made if absent), started."""
    return conn.storagePoolCreateXML(f"<pool type='dir'><name>{name}</name><target><path>{directory}</path>"
                                     "</target></pool>", libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD)


def remove_everything(conn, prefix):
    """Destroy and undefine the domains (with their snapshots' and checkpoints' metadata), the networks, and the
    pools (emptied first) whose names start with prefix, on conn."""
    for dom in conn.listAllDomains(0):
        if dom.name().startswith(prefix):
            persistent = dom.isPersistent()  # a transient domain is gone once destroyed
            if dom.isActive():
                dom.destroy()
            if persistent:
                # KEEP_NVRAM: a domain with an NVRAM file is refused otherwise; its pool goes next anyway.
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                                  | libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
                                  | libvirt.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)
            Path(f"/var/log/libvirt/qemu/{dom.name()}.log").unlink(missing_ok=True)
    for network in conn.listAllNetworks(0):
        if network.name().startswith(prefix):
            persistent = network.isPersistent()
            if network.isActive():
                network.destroy()
            if persistent:
                network.undefine()
    for pool in conn.listAllStoragePools(0):
        if pool.name().startswith(prefix):
            persistent = pool.isPersistent()
            if pool.isActive():
                pool.refresh(0)
                for vol in pool.listAllVolumes(0):
                    vol.delete(0)
                pool.destroy()
            if persistent:
                pool.undefine()


def wait_for_job(job_id, timeout=120):
    """The job once it ended (whatever its state) and its thread is gone: the thread writes the job's audit outcome
    after the row says it ended, and must not outlive the test's database."""
    job = wait_for(lambda: (lambda job: job if job.ended else None)(Job.objects.get(pk=job_id)), timeout,
                   interval=0.05)
    wait_for(lambda: not any(thread.name.startswith(f"job-{job_id}-") for thread in threading.enumerate()), timeout)
    return job


def stop_system_libvirtd():
    """Stop the system libvirtd and wait until it is gone. By its pid file: `pkill -x libvirtd` would also stop
    the second libvirtd the migration tests run beside it (another network namespace, the same processes)."""
    pid = Path("/run/libvirtd.pid").read_text().strip()
    subprocess.run(["kill", pid], check=True)
    wait_for(lambda: subprocess.run(["kill", "-0", pid], capture_output=True).returncode != 0, timeout=30)
