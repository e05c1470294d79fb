"""Rolling a network back to an earlier revision (POST .../revisions/{number}/rollback): the old XML defined again,
checked like new XML, recorded as a rollback revision and audited; a running network keeps its live configuration."""

from domains.access.models import AuditEntry
from domains.libvirt import adapter
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import do_define_network, do_network_action, do_update_network_xml
from domains.networks.models import NetworkRevision

LAB = {"name": "lab", "forward": "nat", "ipv4": {"address": "192.168.243.1", "prefix": 24}}


def rollback_url(host, name, number):
    return f"/api/v1/hosts/{host.pk}/networks/{name}/revisions/{number}/rollback"


def lab_edited(owner, host, new_address="192.168.244.1"):
    """The lab network at revision 2: its address moved from 192.168.243.1 to new_address."""
    row, handle = do_define_network(owner, host, fields=LAB)
    xml = libvirt_networks.network_xml(handle).replace("192.168.243.", new_address.rsplit(".", 1)[0] + ".")
    handle = do_update_network_xml(owner, row, handle, xml)
    return row, handle


def test_a_rollback_defines_the_old_xml_again_as_a_new_rollback_revision(as_user, owner, test_driver_host):
    row, handle = lab_edited(owner, test_driver_host)

    answer = as_user(owner).post(rollback_url(test_driver_host, "lab", 1), {"reason": "wrong subnet"},
                                 content_type="application/json")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["revision"]["number"], body["revision"]["source"], body["revision"]["rollback_of"],
            body["revision"]["reason"], body["revision"]["author"]) == (3, "rollback", 1, "wrong subnet", "alice")
    assert body["live_unchanged"] is False and "next start" in body["message"]
    assert body["network"]["ipv4"]["address"] == "192.168.243.1"
    newest = NetworkRevision.objects.of(row).latest_one()
    assert "192.168.243.1" in newest.xml and newest.rollback_of == 1
    assert list(AuditEntry.objects.filter(action="network.rollback").order_by("pk")
                .values_list("outcome", flat=True)) == ["started", "ok"]
    assert AuditEntry.objects.filter(action="network.rollback").order_by("pk").last().parameters == {
        "rollback_to": 1, "from_revision": 2, "revision": 3}


def test_a_running_network_keeps_its_live_configuration_and_the_answer_says_so(as_user, owner, test_driver_host):
    row, handle = lab_edited(owner, test_driver_host)
    do_network_action(owner, row, handle, "start")

    answer = as_user(owner).post(rollback_url(test_driver_host, "lab", 1), {}, content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["live_unchanged"] is True
    assert "keeps its live configuration until it is stopped and started again" in answer.json()["message"]
    assert answer.json()["revision"]["reason"] == "Rollback to revision 1."
    # The test driver keeps one definition per network; the system test checks live and persistent apart.


def test_it_refuses_an_old_subnet_another_network_took_since_and_changes_nothing(as_user, owner, test_driver_host):
    row, _ = lab_edited(owner, test_driver_host)
    do_define_network(owner, test_driver_host, fields={**LAB, "name": "newcomer"})

    answer = as_user(owner).post(rollback_url(test_driver_host, "lab", 1), {}, content_type="application/json")

    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "subnet_in_use"
    assert answer.json()["message"].startswith("Revision 1 of network 'lab' cannot be restored: The subnet")
    assert NetworkRevision.objects.of(row).latest_one().number == 2
    handle = libvirt_networks.find_network(test_driver_host, name="lab")
    assert "192.168.244.1" in libvirt_networks.network_xml(handle)
    assert AuditEntry.objects.filter(action="network.rollback", outcome__startswith="refused: Revision 1").exists()


def test_it_refuses_an_old_definition_naming_a_host_bridge_that_is_gone(as_user, owner, test_driver_host):
    conn = adapter.connection_for(test_driver_host).get()
    bridge = conn.interfaceDefineXML("<interface type='bridge' name='br-lab'><start mode='none'/>"
                                     "<bridge stp='off'/></interface>")
    bridge.create()
    row, handle = do_define_network(owner, test_driver_host, xml_text=(
        "<network><name>outside</name><forward mode='bridge'/><bridge name='br-lab'/></network>"))
    do_update_network_xml(owner, row, handle, "<network><name>outside</name></network>")
    bridge.destroy()
    bridge.undefine()

    answer = as_user(owner).post(rollback_url(test_driver_host, "outside", 1), {}, content_type="application/json")

    assert answer.status_code == 400, answer.content
    assert "has no bridge 'br-lab'" in answer.json()["message"]
    assert NetworkRevision.objects.of(row).latest_one().number == 2


def test_a_network_user_may_not_roll_back_and_a_stranger_sees_no_network(as_user, owner, teammate, outsider, grant,
                                                                      test_driver_host):
    row, _ = lab_edited(owner, test_driver_host)
    grant("Network user", network=row)

    refused = as_user(teammate).post(rollback_url(test_driver_host, "lab", 1), {}, content_type="application/json")
    hidden = as_user(outsider).post(rollback_url(test_driver_host, "lab", 1), {}, content_type="application/json")

    assert (refused.status_code, refused.json()["fields"]["permission"]) == (403, "network.write")
    assert hidden.status_code == 404
    assert NetworkRevision.objects.of(row).latest_one().number == 2


def test_a_revision_the_network_does_not_have_answers_404(as_user, owner, test_driver_host):
    lab_edited(owner, test_driver_host)

    answer = as_user(owner).post(rollback_url(test_driver_host, "lab", 9), {}, content_type="application/json")

    assert answer.status_code == 404


def test_the_history_says_how_each_revision_came_about(as_user, owner, test_driver_host):
    adapter.connection_for(test_driver_host).get().networkDefineXML("<network><name>found</name></network>")
    client = as_user(owner)
    client.post(f"/api/v1/hosts/{test_driver_host.pk}/networks", {"name": "made", "forward": "none"},
                content_type="application/json")

    found = client.get(f"/api/v1/hosts/{test_driver_host.pk}/networks/found/revisions").json()["results"]
    made = client.get(f"/api/v1/hosts/{test_driver_host.pk}/networks/made/revisions").json()["results"]

    assert [r["source"] for r in found] == ["external"]
    assert [r["source"] for r in made] == ["api"]
