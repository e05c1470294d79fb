"""The definition policy with pool grants: a domain's Power user attaches volumes of pools she holds, nothing else."""

import pytest

from domains.access.grants import do_grant
from domains.access.models import Role
from domains.definitions.actions import do_define
from domains.definitions.policy import DefinitionPolicyRefusal
from domains.libvirt.adapter import connection_for
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.storage.volumes.actions import do_create_volume
from tests.libvirt_support import MiB

pytestmark = [pytest.mark.system]


@pytest.fixture
def setting(owner, teammate, system_host, dir_pool, defined_domains):
    """bob: Power user on a domain, Pool user on pool P; pool Q holds a volume too, granted to nobody."""
    p, q = dir_pool("p"), dir_pool("q")
    volumes = {}
    for row in (p, q):
        handle = connection_for(system_host).get().storagePoolLookupByName(row.name)
        volumes[row.name] = do_create_volume(owner, row, handle, "data.img", 4 * MiB).path()
    name = defined_domains("policy", "")
    inventory.sync_host(system_host)
    domain = Domain.objects.get(host=system_host, name=name)
    do_grant(owner, Role.objects.get(name="Power user"), to_user=teammate, domain=domain)
    do_grant(owner, Role.objects.get(name="Pool user"), to_user=teammate, pool=p)
    return {"domain": domain, "p": p, "q": q, "paths": volumes}


def with_disk(domain, disk):
    xml = connection_for(domain.host).get().lookupByUUIDString(str(domain.uuid)).XMLDesc(0)
    return xml.replace("</devices>", f"{disk}</devices>")


def file_disk(path, extra=""):
    return f"<disk type='file' device='disk'><source file='{path}'/><target dev='vdb' bus='virtio'/>{extra}</disk>"


def volume_disk(pool, volume, extra=""):
    return (f"<disk type='volume' device='disk'><source pool='{pool}' volume='{volume}'/>"
            f"<target dev='vdb' bus='virtio'/>{extra}</disk>")


def attached(domain):
    return connection_for(domain.host).get().lookupByUUIDString(str(domain.uuid)).XMLDesc(0)


def test_a_power_user_attaches_a_volume_of_her_pool_by_pool_and_volume(teammate, setting):
    domain, p = setting["domain"], setting["p"]
    do_define(teammate, domain, with_disk(domain, volume_disk(p.name, "data.img")))
    assert f"pool='{p.name}'" in attached(domain)


def test_a_power_user_attaches_a_volume_of_her_pool_by_its_path(teammate, setting):
    domain, path = setting["domain"], setting["paths"][setting["p"].name]
    do_define(teammate, domain, with_disk(domain, file_disk(path)))
    assert path in attached(domain)


def test_a_volume_of_a_pool_without_a_grant_is_refused_by_path_and_by_name(teammate, setting):
    domain, q = setting["domain"], setting["q"]
    for disk in (volume_disk(q.name, "data.img"), file_disk(setting["paths"][q.name])):
        with pytest.raises(DefinitionPolicyRefusal) as refused:
            do_define(teammate, domain, with_disk(domain, disk))
        assert "host_resources" in refused.value.message and q.name in refused.value.message
    assert "data.img" not in attached(domain)


def test_a_host_path_that_is_no_volume_still_needs_host_resources(teammate, setting):
    domain = setting["domain"]
    with pytest.raises(DefinitionPolicyRefusal):
        do_define(teammate, domain, with_disk(domain, file_disk("/etc/shadow")))
    assert "/etc/shadow" not in attached(domain)


def test_a_volume_disk_that_also_names_a_host_backing_file_is_refused(teammate, setting):
    domain, path = setting["domain"], setting["paths"][setting["p"].name]
    backing = "<backingStore type='file'><format type='raw'/><source file='/etc/shadow'/></backingStore>"
    with pytest.raises(DefinitionPolicyRefusal):
        do_define(teammate, domain, with_disk(domain, file_disk(path, backing)))


def test_reading_suffices_for_a_readonly_disk_and_making_it_writable_needs_data_write(owner, teammate, setting):
    domain, q = setting["domain"], setting["q"]
    reader = Role.objects.create(name="Volume reader", permissions=["storage_pool.getattr", "storage_vol.getattr",
                                                                   "storage_vol.data_read"])
    do_grant(owner, reader, to_user=teammate, pool=q)
    readonly = with_disk(domain, volume_disk(q.name, "data.img", "<readonly/>"))
    do_define(teammate, domain, readonly)
    assert "<readonly/>" in attached(domain)
    with pytest.raises(DefinitionPolicyRefusal) as refused:
        do_define(teammate, domain, attached(domain).replace("<readonly/>", ""))
    assert "storage_vol.data_write" in refused.value.message
