"""Install fixtures: a test:/// host with a storage pool and a network, and reading what it holds (api_as and
system_libvirtd come from tests/conftest.py)."""

import pytest

from domains.libvirt import adapter


@pytest.fixture
def lab_host(transactional_db, make_test_host, tmp_path):
    """A test:/// host with pool 'images' (holding media.iso and disk.qcow2) and network 'lan'."""
    host = make_test_host("install", domains=1)
    conn = adapter.connection_for(host).get()
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>images</name><target><path>{tmp_path}</path>"
                                     "</target></pool>", 0)
    for name, fmt in (("media.iso", "raw"), ("disk.qcow2", "qcow2")):
        pool.createXML(f"<volume><name>{name}</name><capacity>1048576</capacity><target><format type='{fmt}'/>"
                       "</target></volume>", 0)
    conn.networkCreateXML("<network><name>lan</name><bridge name='vctlan0'/></network>")
    return host


def volumes_of(host, pool="images"):
    conn = adapter.connection_for(host).get()
    return sorted(vol.name() for vol in conn.storagePoolLookupByName(pool).listAllVolumes())


def domain_names(host):
    return sorted(dom.name() for dom in adapter.connection_for(host).get().listAllDomains())
