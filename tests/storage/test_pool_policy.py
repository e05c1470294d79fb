"""Where pools may live and what they may be called: the host's pool_paths, names, pool XML and its schema."""

import os

import pytest

from domains.definitions.xml.errors import DefinitionError
from domains.hosts.models import Host
from domains.storage.pools.capabilities import parse_capabilities
from domains.storage.pools.definition import read_definition, xml_from_fields
from domains.storage.pools.policy import (
    DEFAULT_POOL_ROOT,
    PoolError,
    check_pool_name,
    check_pool_path,
)


def local_host(paths):
    return Host(name="h", uri="qemu:///system", pool_paths=paths)


def test_it_allows_only_the_default_root_when_the_host_names_none():
    assert check_pool_path(local_host([]), f"{DEFAULT_POOL_ROOT}/more") == f"{DEFAULT_POOL_ROOT}/more"
    with pytest.raises(PoolError, match="outside where host"):
        check_pool_path(local_host([]), "/srv/pools")


@pytest.mark.parametrize("path", ["relative/dir", "/srv/pools/../../etc", "/srv/poolsextra", "/etc"])
def test_it_refuses_paths_outside_the_allowed_roots(path):
    with pytest.raises(PoolError):
        check_pool_path(local_host(["/srv/pools"]), path)


def test_it_refuses_a_symlink_that_leads_outside(tmp_path):
    os.symlink("/etc", tmp_path / "escape")
    with pytest.raises(PoolError, match="leads to '/etc/pool'"):
        check_pool_path(local_host([str(tmp_path)]), str(tmp_path / "escape" / "pool"))


def test_it_takes_device_prefixes_for_block_devices():
    assert check_pool_path(local_host(["/dev/loop"]), "/dev/loop7", "source device") == "/dev/loop7"
    with pytest.raises(PoolError):
        check_pool_path(local_host(["/dev/loop"]), "/dev/sda", "source device")


@pytest.mark.parametrize("name", ["a/b", "..", "x..y", ".hidden", "", "with space", "a" * 101])
def test_it_refuses_names_that_could_walk_a_path(name):
    with pytest.raises(PoolError, match="not a usable pool name"):
        check_pool_name(name)


def test_it_writes_schema_valid_xml_from_fields_and_reads_it_back():
    xml = xml_from_fields("fs1", "fs", "/srv/pools/fs1", {"device": "/dev/loop3", "format": "ext4"})

    definition = read_definition(xml)

    assert (definition.name, definition.type, definition.target) == ("fs1", "fs", "/srv/pools/fs1")
    assert definition.source == {"device": ["/dev/loop3"], "format": "ext4"}
    assert definition.host_paths() == [("target path", "/srv/pools/fs1"), ("source device", "/dev/loop3")]


def test_it_refuses_xml_outside_libvirts_schema_naming_the_line():
    with pytest.raises(DefinitionError, match="storagepool.rng.*line"):
        read_definition("<pool type='dir'>\n<name>p</name>\n<bogus/>\n</pool>")


def test_it_refuses_a_document_that_is_not_a_pool():
    with pytest.raises(DefinitionError, match="not a <pool>"):
        read_definition("<network><name>n</name></network>")


CAPS = """<storagepoolCapabilities>
  <pool type='dir' supported='yes'><volOptions><defaultFormat type='raw'/></volOptions></pool>
  <pool type='fs' supported='yes'><poolOptions><defaultFormat type='auto'/>
    <enum name='sourceFormatType'><value>auto</value><value>ext4</value></enum></poolOptions></pool>
  <pool type='rbd' supported='no'/>
</storagepoolCapabilities>"""


def test_it_reads_which_types_a_host_supports_and_what_each_needs():
    types = {t.type: t for t in parse_capabilities(CAPS)}

    assert types["dir"].supported and types["dir"].source_fields == [] and types["dir"].target
    assert types["fs"].source_fields == ["device", "format"] and types["fs"].source_formats == ["auto", "ext4"]
    assert types["fs"].default_format == "auto"
    assert not types["rbd"].supported
