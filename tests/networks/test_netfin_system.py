"""On the system libvirtd, for real: a running network rolled back keeps its live configuration while its persistent
definition changes; network filters listed, read and defined from their pages. Everything made is named netfin-...
(subnet 192.168.236.0/24) and removed afterwards, failed or not."""

import uuid

import libvirt
import pytest

from domains.hosts.actions import do_add_host
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import daemon_uri, forget_host
from domains.networks.actions import do_define_network, do_network_action, do_update_network_xml
from tests.networks.conftest import remove_networks

pytestmark = [pytest.mark.system]

PREFIX = "netfin-"
SUBNET = "192.168.236"


def remove_filters(prefix):
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        for nwfilter in conn.listAllNWFilters(0):
            if nwfilter.name().startswith(prefix):
                nwfilter.undefine()
    finally:
        conn.close()


@pytest.fixture
def tag():
    return uuid.uuid4().hex[:6]


@pytest.fixture
def system(transactional_db, owner, tag):
    """The system libvirtd as a console host; every network and filter named netfin-<tag> removed afterwards."""
    host = do_add_host(owner, "system", "qemu:///system")
    yield host
    forget_host(host.pk)
    remove_networks(f"{PREFIX}{tag}")
    remove_filters(f"{PREFIX}{tag}")


def test_a_running_network_rolled_back_keeps_its_live_addresses_until_restarted(as_user, owner, system, tag):
    name = f"{PREFIX}{tag}"
    row, handle = do_define_network(owner, system, fields={"name": name, "forward": "none",
                                                           "ipv4": {"address": f"{SUBNET}.1", "prefix": 24}})
    moved = libvirt_networks.network_xml(handle).replace(f"{SUBNET}.1'", f"{SUBNET}.254'")
    handle = do_update_network_xml(owner, row, handle, moved)
    do_network_action(owner, row, handle, "start")

    answer = as_user(owner).post(f"/api/v1/hosts/{system.pk}/networks/{name}/revisions/1/rollback",
                                 {"reason": "back"}, content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["live_unchanged"] is True
    handle = libvirt_networks.find_network(system, name=name)
    assert f"{SUBNET}.254'" in libvirt_networks.network_xml(handle, inactive=False)
    assert f"{SUBNET}.1'" in libvirt_networks.network_xml(handle, inactive=True)
    assert f"{SUBNET}.1'" in row.revisions.latest_one().xml  # the revision holds the persistent definition
    do_network_action(owner, row, handle, "stop")
    do_network_action(owner, row, handle, "start")
    assert f"{SUBNET}.1'" in libvirt_networks.network_xml(handle, inactive=False)


def test_filters_are_listed_read_and_defined_from_their_pages(as_user, owner, system, tag):
    name = f"{PREFIX}{tag}"
    client = as_user(owner)
    xml = (f"<filter name='{name}' chain='root'><filterref filter='clean-traffic'/>"
           "<rule action='drop' direction='in' priority='500'><tcp dstportstart='23'/></rule></filter>")

    listing = client.get(f"/hosts/{system.pk}/nwfilters/").content.decode()
    made = client.post(f"/hosts/{system.pk}/new-nwfilter/", {"xml": xml})
    again = client.post(f"/hosts/{system.pk}/new-nwfilter/", {"xml": xml})
    page = client.get(f"/hosts/{system.pk}/nwfilters/{name}/").content.decode()

    assert '<tr data-nwfilter="clean-traffic">' in listing
    assert made.status_code == 302 and made["Location"] == f"/hosts/{system.pk}/nwfilters/{name}/"
    assert again.status_code == 400 and f"already has a network filter &#x27;{name}&#x27;" in again.content.decode()
    assert "dstportstart=&#x27;23&#x27;" in page and "clean-traffic" in page
    assert f'<tr data-nwfilter="{name}">' in client.get(f"/hosts/{system.pk}/nwfilters/").content.decode()
