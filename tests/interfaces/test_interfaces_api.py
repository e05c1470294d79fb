"""The interfaces API on a test:/// host: shapes, definition changes of a stopped domain, bad input, permissions."""

from domains.access.models import AuditEntry
from domains.interfaces.listing import leases_with_domains
from domains.libvirt import adapter
from tests.interfaces.conftest import RUNNING_MAC, STOPPED_MAC, interfaces_url


def post(client, domain, **body):
    return client.post(interfaces_url(domain), body, content_type="application/json")


def patch(client, domain, mac, **body):
    return client.patch(interfaces_url(domain, mac), body, content_type="application/json")


def defined_xml(domain):
    conn = adapter.connection_for(domain.host).get()
    return conn.lookupByUUIDString(str(domain.uuid)).XMLDesc(0)


def test_it_lists_a_running_domains_interface_with_its_addresses_and_their_source(as_user, owner, lab):
    answer = as_user(owner).get(interfaces_url(lab["running"]))

    assert answer.status_code == 200, answer.content
    [interface] = answer.json()
    assert (interface["mac"], interface["type"], interface["source"], interface["model"], interface["link"]) == \
        (RUNNING_MAC, "network", "lab", "virtio", "up")
    assert (interface["in_definition"], interface["live"], interface["pending"]) == (True, True, None)
    assert interface["addresses"], "the test driver reports an address for a running domain's interface"
    assert {address["source"] for address in interface["addresses"]} <= {"lease", "agent", "arp"}
    assert interface["addresses"][0]["source"] == "lease"


def test_it_adds_an_interface_to_a_stopped_domain_with_a_mac_of_its_own(as_user, owner, lab):
    client = as_user(owner)
    before = lab["stopped"].revisions.count()

    answer = post(client, lab["stopped"], type="network", source="lab")

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["mac"].startswith("52:54:00:") and body["mac"] != STOPPED_MAC
    assert (body["type"], body["source"], body["model"], body["in_definition"], body["live"]) == \
        ("network", "lab", "virtio", True, False)
    assert body["mac"] in defined_xml(lab["stopped"])
    assert lab["stopped"].revisions.count() > before
    outcomes = list(AuditEntry.objects.filter(action="domain.interface_add").order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["started", "ok"]


def test_it_adds_an_interface_with_filter_bandwidth_and_link_down_and_shows_them(as_user, owner, lab):
    client = as_user(owner)

    answer = post(client, lab["stopped"], source="lab", mac="52:54:00:AB:CD:EF", model="e1000", link="down",
                  filter={"name": "clean-traffic", "parameters": {"IP": "192.168.230.20"}},
                  bandwidth={"inbound": {"average": 1000, "peak": 2000, "burst": 512}, "outbound": {"average": 500}})

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["mac"], body["model"], body["link"]) == ("52:54:00:ab:cd:ef", "e1000", "down")
    assert body["filter"] == {"name": "clean-traffic", "parameters": {"IP": "192.168.230.20"}}
    assert body["bandwidth"] == {"inbound": {"average": 1000, "peak": 2000, "burst": 512},
                                 "outbound": {"average": 500}}


def test_it_changes_then_removes_an_interface_of_a_stopped_domain(as_user, owner, lab):
    client = as_user(owner)

    changed = patch(client, lab["stopped"], STOPPED_MAC, link="down", model="e1000", bandwidth={"outbound": {
        "average": 100}})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["link"], changed.json()["model"]) == ("down", "e1000")
    assert changed.json()["bandwidth"] == {"outbound": {"average": 100}}
    lifted = patch(client, lab["stopped"], STOPPED_MAC, link="up", bandwidth=None)
    assert (lifted.json()["link"], lifted.json()["bandwidth"]) == ("up", None)

    removed = client.delete(interfaces_url(lab["stopped"], STOPPED_MAC))

    assert removed.status_code == 204, removed.content
    assert client.get(interfaces_url(lab["stopped"])).json() == []
    assert STOPPED_MAC not in defined_xml(lab["stopped"])


def test_it_refuses_a_mac_another_domain_of_the_host_uses(as_user, owner, lab):
    answer = post(as_user(owner), lab["stopped"], source="lab", mac=RUNNING_MAC)

    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "mac_in_use"
    assert "vm2" in answer.json()["message"]
    assert AuditEntry.objects.filter(action="domain.interface_add", outcome__startswith="refused").exists()


def test_it_refuses_the_mac_the_domain_has_already(as_user, owner, lab):
    answer = post(as_user(owner), lab["stopped"], source="lab", mac=STOPPED_MAC.upper())

    assert (answer.status_code, answer.json()["code"]) == (409, "mac_in_use")


def test_it_refuses_an_unknown_network_and_changes_nothing(as_user, owner, lab):
    before = defined_xml(lab["stopped"])

    answer = post(as_user(owner), lab["stopped"], type="network", source="nowhere")

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "unknown_network"
    assert "nowhere" in answer.json()["message"]
    assert defined_xml(lab["stopped"]) == before


def test_it_refuses_a_bad_model_mac_or_bandwidth(as_user, owner, lab):
    client = as_user(owner)

    bad_model = post(client, lab["stopped"], source="lab", model="tulip")
    bad_mac = post(client, lab["stopped"], source="lab", mac="01:00:5e:00:00:01")
    bad_bandwidth = post(client, lab["stopped"], source="lab", bandwidth={"inbound": {"peak": 10}})

    assert (bad_model.status_code, bad_model.json()["code"]) == (400, "invalid")
    assert "model" in bad_model.json()["fields"]
    assert (bad_mac.status_code, bad_mac.json()["code"]) == (400, "invalid_interface")
    assert "multicast" in bad_mac.json()["message"]
    assert bad_bandwidth.status_code == 400


def test_it_answers_404_for_a_mac_the_domain_does_not_have(as_user, owner, lab):
    client = as_user(owner)

    assert patch(client, lab["stopped"], "52:54:00:99:99:99", link="down").status_code == 404
    assert client.delete(interfaces_url(lab["stopped"], "52:54:00:99:99:99")).status_code == 404


def test_a_running_domain_whose_driver_cannot_change_devices_live_is_left_as_it_was(as_user, owner, lab):
    before = defined_xml(lab["running"])

    answer = post(as_user(owner), lab["running"], source="lab")

    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "not_changeable_live"
    assert defined_xml(lab["running"]) == before
    outcomes = list(AuditEntry.objects.filter(action="domain.interface_add").order_by("pk").values_list("outcome", flat=True))
    assert outcomes[0] == "started" and outcomes[1].startswith("failed") or outcomes[1].startswith("refused")


def test_an_operator_may_see_interfaces_but_not_change_them(as_user, teammate, grant, lab):
    grant("Operator", to=teammate, domain=lab["stopped"])
    client = as_user(teammate)

    assert client.get(interfaces_url(lab["stopped"])).status_code == 200
    refused = post(client, lab["stopped"], source="lab")

    assert refused.status_code == 403
    assert refused.json()["fields"]["permission"] == "write"


def test_a_power_user_adds_a_network_interface_but_not_a_host_bridge(as_user, teammate, grant, lab):
    grant("Power user", to=teammate, domain=lab["stopped"])
    client = as_user(teammate)

    assert post(client, lab["stopped"], type="network", source="lab").status_code == 201
    bridge = post(client, lab["stopped"], type="bridge", source="br0")

    assert bridge.status_code == 403, bridge.content
    assert bridge.json()["code"] == "definition_policy"


def test_an_outsider_does_not_see_the_domains_interfaces(as_user, outsider, lab):
    assert as_user(outsider).get(interfaces_url(lab["stopped"])).status_code == 404


def test_it_moves_an_interface_to_another_network_but_not_to_an_unknown_one(as_user, owner, lab):
    client = as_user(owner)
    adapter.connection_for(lab["host"]).get().networkDefineXML(
        "<network><name>lab2</name><ip address='192.168.231.1' prefix='24'/></network>")

    moved = patch(client, lab["stopped"], STOPPED_MAC, source="lab2")
    unknown = patch(client, lab["stopped"], STOPPED_MAC, source="nowhere")

    assert (moved.status_code, moved.json()["source"]) == (200, "lab2"), moved.content
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_network")
    assert "source network='lab2'" in defined_xml(lab["stopped"])


def test_leases_name_the_domain_only_to_those_who_may_see_it(teammate, grant, lab):
    lease = {"mac": RUNNING_MAC.upper(), "ip": "192.168.230.12", "prefix": 24, "type": "ipv4", "hostname": None,
             "client_id": None, "expires": 0}
    stranger = {**lease, "mac": "52:54:00:77:77:77"}

    hidden = leases_with_domains(teammate, lab["host"], [lease, stranger])
    grant("Viewer", to=teammate, domain=lab["running"])
    shown = leases_with_domains(teammate, lab["host"], [lease, stranger])

    assert [(entry["domain"], entry["domain_uuid"]) for entry in hidden] == [(None, None), (None, None)]
    assert [(entry["domain"], entry["domain_uuid"]) for entry in shown] == [("vm2", str(lab["running"].uuid)),
                                                                           (None, None)]
