"""The definition policy for interfaces, tried as an attacker with an ordinary domain grant would: an interface on
a network she may use passes; one on a network she cannot see, a bridge, a direct device, a script, or a spelling
trick is refused with the network or device and the missing permission named, and nothing changes."""

import libvirt
import pytest
from rest_framework.test import APIClient

from domains.access.models import AuditEntry
from domains.definitions.network_interfaces import added_network_uses, network_uses
from domains.definitions.xml import parse
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.networks.actions import do_define_network

LAB = "<interface type='network'><source network='lab'/><model type='virtio'/></interface>"


@pytest.fixture
def lab_host(owner, test_driver_host):
    """The test host with networks "lab" and "secret" (isolated, stopped), defined by the owner."""
    do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    do_define_network(owner, test_driver_host, fields={"name": "secret", "forward": "none"})
    return test_driver_host


@pytest.fixture
def vm(lab_host):
    inventory.sync_host(lab_host)
    return lab_host.domains.get(name="vm0000")


@pytest.fixture
def attacker(vm, teammate, grant):
    """The teammate, a Power user of vm (may change its definition), as an API client."""
    grant("Power user", domain=vm)
    client = APIClient()
    client.force_authenticate(teammate)
    return client


def _xml(host):
    return adapter.connection_for(host).get().lookupByName("vm0000").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def _with(xml, *devices):
    return xml.replace("</devices>", "".join(devices) + "</devices>", 1)


def _put(client, vm, xml):
    return client.put(f"/api/v1/domains/{vm.uuid}/xml", {"xml": xml}, format="json")


def _network_of(host, number):
    from domains.networks.models import Network

    return Network.objects.get(host=host, name=number)


def test_a_power_user_with_a_network_grant_plugs_her_domain_into_that_network(attacker, vm, grant):
    grant("Network user", network=_network_of(vm.host, "lab"))

    answer = _put(attacker, vm, _with(_xml(vm.host), LAB))

    assert answer.status_code == 200, answer.json()
    assert "<source network='lab'/>" in _xml(vm.host)


def test_a_network_she_cannot_see_is_refused_as_if_it_did_not_exist(attacker, vm, grant):
    grant("Network user", network=_network_of(vm.host, "lab"))
    before = _xml(vm.host)

    hidden = _put(attacker, vm, _with(before, LAB.replace("'lab'", "'secret'")))
    missing = _put(attacker, vm, _with(before, LAB.replace("'lab'", "'nowhere'")))

    assert (hidden.status_code, hidden.json()["code"]) == (403, "definition_policy")
    assert hidden.json()["fields"]["permission"] == "network_port.create"
    assert "there is no network 'secret' on host" in hidden.json()["message"]
    assert hidden.json()["message"].replace("secret", "nowhere") == missing.json()["message"]
    assert _xml(vm.host) == before
    assert AuditEntry.objects.filter(action="domain.define", outcome__startswith="refused",
                                     outcome__contains="'secret'").exists()


def test_seeing_a_network_is_not_enough_to_plug_into_it(attacker, vm, grant, define_role):
    grant(define_role("Lab watcher", ["network.getattr", "network.read"]), network=_network_of(vm.host, "lab"))

    answer = _put(attacker, vm, _with(_xml(vm.host), LAB))

    assert answer.status_code == 403
    assert answer.json()["fields"]["permission"] == "network_port.create"
    assert "plugging into network 'lab' needs the permission 'network_port.create'" in answer.json()["message"]


def test_without_any_network_grant_a_power_user_may_not_add_a_network_interface(attacker, vm):
    answer = _put(attacker, vm, _with(_xml(vm.host), LAB))

    assert answer.status_code == 403 and "there is no network 'lab'" in answer.json()["message"]


@pytest.mark.parametrize("device, named", [
    ("<interface type='bridge'><source bridge='virbr0'/></interface>", "bridge=virbr0"),
    ("<interface type='direct'><source dev='eth0' mode='bridge'/></interface>", "dev=eth0"),
    ("<interface type='ethernet'><target dev='tap-mine'/><script path='/tmp/run-me-as-root'/></interface>",
     "path=/tmp/run-me-as-root"),
    ("<interface type='network'><source network='lab'/><script path='/tmp/run-me-as-root'/></interface>",
     "path=/tmp/run-me-as-root"),
    ("<interface type='Network'><source network='lab'/></interface>", "network=lab"),
    ("<interface type='network '><source network='lab'/></interface>", "network=lab"),
    ("<interface type='user'><backend tap='/dev/net/tun'/></interface>", "tap=/dev/net/tun"),
])
def test_host_network_devices_still_need_host_resources_even_with_a_network_grant(attacker, vm, grant, device,
                                                                                   named):
    grant("Network user", network=_network_of(vm.host, "lab"))
    before = _xml(vm.host)

    answer = _put(attacker, vm, _with(before, device))

    assert answer.status_code in (400, 403), answer.json()
    if answer.status_code == 403:  # libvirt's schema may refuse a misspelt type first: refused all the same
        assert answer.json()["fields"]["permission"] == "host_resources"
        assert named in answer.json()["message"]
    assert _xml(vm.host) == before


@pytest.mark.parametrize("trick", [
    "<interface type='network'><source network=' lab'/></interface>",
    "<interface type='network'><source network='LAB'/></interface>",
    "<interface type='network'><source network='lab\u200b'/></interface>",
])
def test_spelling_tricks_on_the_network_name_are_networks_she_cannot_see(attacker, vm, grant, trick):
    grant("Network user", network=_network_of(vm.host, "lab"))

    answer = _put(attacker, vm, _with(_xml(vm.host), trick))

    assert answer.status_code in (400, 403), answer.json()
    assert "<source network='lab'/>" not in _xml(vm.host)


def test_a_source_saying_more_than_the_network_needs_host_resources(attacker, vm, grant):
    grant("Network user", network=_network_of(vm.host, "lab"))

    answer = _put(attacker, vm, _with(_xml(vm.host), "<interface type='network'><source network='lab' "
                                                     "bridge='virbr0'/></interface>"))

    assert answer.status_code in (400, 403), answer.json()
    if answer.status_code == 403:
        assert answer.json()["fields"]["permission"] == "host_resources"


def test_an_interface_an_administrator_put_on_a_hidden_network_stays_through_her_changes(
        attacker, vm, owner):
    from domains.definitions.actions import do_define
    from domains.definitions.models import RevisionSource

    do_define(owner, vm, _with(_xml(vm.host), LAB.replace("'lab'", "'secret'")), "", RevisionSource.API)
    with_secret = _xml(vm.host)

    remodelled = _put(attacker, vm, with_secret.replace("<model type='virtio'/>", "<model type='e1000'/>"))
    moved = _put(attacker, vm, _xml(vm.host).replace("network='secret'", "network='lab'"))

    assert remodelled.status_code == 200, remodelled.json()
    assert "e1000" in _xml(vm.host)
    assert moved.status_code == 403 and "there is no network 'lab'" in moved.json()["message"]


def test_it_counts_interfaces_per_network_so_a_second_one_is_a_new_plug():
    base = ("<domain type='test'><name>p</name><memory>65536</memory><os><type>hvm</type></os><devices>"
            f"{LAB}</devices></domain>")
    twice = base.replace("</devices>", f"{LAB}</devices>")

    assert [use.network for use in network_uses(parse(twice))] == ["lab", "lab"]
    assert added_network_uses(parse(base), parse(base)) == []
    assert [use.network for use in added_network_uses(parse(base), parse(twice))] == ["lab"]
    assert [use.network for use in added_network_uses(parse(base), parse(
        base.replace("<source network='lab'/>", "<source network='lab' portgroup='vlan9'/>")))] == ["lab"]
