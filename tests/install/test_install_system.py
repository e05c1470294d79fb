"""On the system libvirtd: the demo guest installed from a bootable ISO boots it; one made from a cloud image reads
its cloud-init seed; media change live; a refused or failed create leaves nothing behind."""

import re
import uuid

import libvirt
import pytest
from django.conf import settings
from lxml import etree

from domains.hosts.actions import do_add_host
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.libvirt.adapter import daemon_uri
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.models import Domain
from tests.conftest import wait_for
from tests.install.media_support import bootable_iso, missing_boot_loader
from tests.install.test_install_create_api import create

pytestmark = pytest.mark.system
READY = "virtconsole demo guest ready"


@pytest.fixture
def system_lab(system_libvirtd, transactional_db, owner, tmp_path):
    """{"host", "pool", "conn", "prefix"}: the system libvirtd as a host, a dir pool install-<hex> holding demo.iso
    (the demo guest on a bootable ISO) and cloud.img (the same bytes, booted as a disk); everything named
    install-<hex> is removed afterwards, even when the test fails."""
    why = missing_boot_loader()
    if why:
        pytest.fail(why)
    prefix = f"install-{uuid.uuid4().hex[:8]}"
    conn = libvirt.open(daemon_uri("qemu:///system"))
    host = do_add_host(owner, "system", "qemu:///system")
    try:
        directory = tmp_path / prefix
        directory.mkdir()
        directory.chmod(0o755)
        image = bootable_iso(settings.DEMO_GUEST_DIR)
        (directory / "demo.iso").write_bytes(image)
        (directory / "cloud.img").write_bytes(image)
        pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>{prefix}</name><target><path>{directory}</path>"
                                         "</target></pool>", 0)
        yield {"host": host, "pool": pool, "conn": conn, "prefix": prefix, "dir": directory}
    finally:
        adapter.forget_host(host.pk)
        for dom in conn.listAllDomains(0):
            if dom.name().startswith(prefix):
                if dom.isActive():
                    dom.destroy()
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        try:
            pool = conn.storagePoolLookupByName(prefix)
            pool.refresh(0)
            for vol in pool.listAllVolumes(0):
                vol.delete(0)
            pool.destroy()
        except libvirt.libvirtError:
            pass
        conn.close()


def serial_to_file(lab, name):
    """Redefine the created domain with its serial port written to a file (the test reads the guest's console)."""
    serial = lab["dir"] / f"{name}.serial"
    dom = lab["conn"].lookupByName(name)
    xml = re.sub(r"<serial type='pty'>.*?</serial>\s*<console type='pty'>.*?</console>",
                 f"<serial type='file'><source path='{serial}'/><target port='0'/></serial>",
                 dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), flags=re.DOTALL)
    lab["conn"].defineXML(xml)
    return serial


def printed(serial, text):
    return serial.exists() and text in serial.read_text(errors="replace")


def volumes(lab):
    lab["pool"].refresh(0)
    return sorted(vol.name() for vol in lab["pool"].listAllVolumes(0))


def ended_job(job_id):
    job = Job.objects.get(pk=job_id)
    return job if job.ended else None


def cdrom_source(lab, name, flags=0):
    root = etree.fromstring(lab["conn"].lookupByName(name).XMLDesc(flags).encode())
    source = root.find("devices/disk[@device='cdrom']/source")
    return None if source is None else source.get("volume")


def test_a_domain_installed_from_an_iso_boots_it_and_its_medium_changes_live(system_lab, owner, api_as):
    lab, name = system_lab, f"{system_lab['prefix']}-iso"
    client = api_as(owner)
    answer = create(client, lab["host"], name=name, memory_mib=256,
                    install={"kind": "iso", "volume": f"{lab['prefix']}/demo.iso"},
                    disks=[{"pool": lab["prefix"], "size_gib": 1}])
    assert answer.status_code == 201, answer.json()
    serial = serial_to_file(lab, name)
    domain = Domain.objects.get(host=lab["host"], name=name)
    do_domain_action(owner, domain, "start")
    wait_for(lambda: printed(serial, READY), timeout=120)
    assert "cloud-init seed hostname" not in serial.read_text(errors="replace")  # no seed, nothing said

    url = f"/api/v1/domains/{domain.uuid}/media"
    ejected = client.post(url, {"device": "hdc", "volume": None}, format="json")
    assert ejected.status_code == 200, ejected.json()
    assert ejected.json()["live"] is True
    assert cdrom_source(lab, name) is None
    assert cdrom_source(lab, name, libvirt.VIR_DOMAIN_XML_INACTIVE) is None
    inserted = client.post(url, {"device": "hdc", "volume": f"{lab['prefix']}/demo.iso"}, format="json")
    assert inserted.status_code == 200, inserted.json()
    assert cdrom_source(lab, name) == "demo.iso"
    assert cdrom_source(lab, name, libvirt.VIR_DOMAIN_XML_INACTIVE) == "demo.iso"


def test_a_domain_from_a_cloud_image_reads_its_cloud_init_seed(system_lab, owner, api_as):
    lab, name = system_lab, f"{system_lab['prefix']}-cloud"
    hostname = f"seeded-{lab['prefix'][-8:]}"
    answer = create(api_as(owner), lab["host"], name=name, memory_mib=256,
                    install={"kind": "cloud-image", "volume": f"{lab['prefix']}/cloud.img", "mode": "clone"},
                    cloud_init={"user": "ann", "password": "not in clear", "ssh_keys": ["ssh-ed25519 AAAAC3 ann"],
                                "hostname": hostname, "user_data": "packages: [htop]"})
    assert answer.status_code == 202, answer.json()
    job = wait_for(lambda: ended_job(answer.json()["id"]), timeout=120, interval=0.1)
    assert job.state == "succeeded", job.error
    assert set(job.result["volumes"]) == {f"{lab['prefix']}/{name}-root.img", f"{lab['prefix']}/{name}-cidata.iso"}
    seed = (lab["dir"] / f"{name}-cidata.iso").read_bytes()
    assert b"not in clear" not in seed and b"$6$" in seed
    serial = serial_to_file(lab, name)
    do_domain_action(owner, Domain.objects.get(host=lab["host"], name=name), "start")
    wait_for(lambda: printed(serial, READY), timeout=120)
    assert f"cloud-init seed hostname: {hostname}" in serial.read_text(errors="replace")


def test_refused_and_failed_creates_leave_no_volume_and_no_domain(system_lab, owner, api_as):
    lab = system_lab
    client = api_as(owner)
    before = volumes(lab)
    refused = create(client, lab["host"], name=f"{lab['prefix']}-efi", firmware="uefi",
                     install={"kind": "iso", "volume": f"{lab['prefix']}/demo.iso"}, disks=[{"pool": lab["prefix"]}])
    assert refused.status_code == 400 and "firmware" in refused.json()["message"]
    # Defined and its volumes made, then the start fails (more memory than QEMU can map): all of it goes again.
    failed = create(client, lab["host"], name=f"{lab['prefix']}-huge", memory_mib=16 * 1024 * 1024, start=True,
                    install={"kind": "iso", "volume": f"{lab['prefix']}/demo.iso"},
                    disks=[{"pool": lab["prefix"], "size_gib": 1}], cloud_init={"hostname": "huge"})
    assert failed.status_code >= 400, failed.json()
    assert "Could not start" in failed.json()["message"], failed.json()
    assert volumes(lab) == before
    assert not [dom for dom in lab["conn"].listAllDomains(0) if dom.name().startswith(lab["prefix"])]


def test_a_domain_made_from_a_template_boots_and_a_quota_refuses_the_next(system_lab, owner, teammate, grant,
                                                                          define_role, api_as):
    """A template (the cloud image copied, a cloud-init user) used by a teammate in one request, the hostname
    overridden: the guest prints the seed's hostname; her quota of one domain then refuses a second, nothing made."""
    from domains.lifecycle import inventory
    from domains.quotas.actions import do_set_quota
    from domains.storage.lookups import pool_row

    lab, name = system_lab, f"{system_lab['prefix']}-tpl"
    hostname = f"templated-{lab['prefix'][-8:]}"
    inventory.sync_host(lab["host"])
    grant(define_role("Definer (template test)", ["getattr", "define_domains"]), host=lab["host"])
    grant("Pool user", pool=pool_row(lab["host"], lab["pool"]))
    do_set_quota(owner, {"max_domains": 1}, user=teammate)
    template = api_as(owner).post("/api/v1/templates", {
        "name": f"{lab['prefix']} demo", "memory_mib": 256, "networks": [], "cloud_init": {"user": "ann"},
        "install": {"kind": "cloud-image", "volume": f"{lab['prefix']}/cloud.img", "mode": "clone"}}, format="json")
    assert template.status_code == 201, template.json()
    client = api_as(teammate)
    answer = create(client, lab["host"], name=name, template=template.json()["id"], cloud_init={"hostname": hostname})
    assert answer.status_code == 202, answer.json()
    job = wait_for(lambda: ended_job(answer.json()["id"]), timeout=120, interval=0.1)
    assert job.state == "succeeded", job.error
    serial = serial_to_file(lab, name)
    do_domain_action(owner, Domain.objects.get(host=lab["host"], name=name), "start")
    wait_for(lambda: printed(serial, READY), timeout=120)
    assert f"cloud-init seed hostname: {hostname}" in serial.read_text(errors="replace")

    before = volumes(lab)
    refused = create(client, lab["host"], name=f"{lab['prefix']}-tpl2", template=template.json()["id"])
    assert refused.status_code == 403 and refused.json()["code"] == "quota_exceeded", refused.json()
    assert "This would use 2 of your 1 domains" in refused.json()["message"]
    assert volumes(lab) == before
