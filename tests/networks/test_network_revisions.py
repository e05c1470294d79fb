"""A network's revision history: every define and XML edit through the console records one; the API lists them,
shows one with its XML and diffs two, to whoever may read the network."""

from domains.libvirt import adapter
from domains.networks.actions import do_define_network
from domains.networks.models import Network, NetworkRevision

NAT = {"forward": "nat", "ipv4": {"address": "192.168.243.1", "prefix": 24}}


def networks_url(host, *rest):
    return "/".join([f"/api/v1/hosts/{host.pk}/networks", *rest])


def test_define_and_each_xml_edit_record_a_revision_the_api_shows(as_user, owner, test_driver_host):
    client = as_user(owner)
    made = client.post(networks_url(test_driver_host), {"name": "history", **NAT}, content_type="application/json")
    assert made.status_code == 201, made.content
    xml = client.get(networks_url(test_driver_host, "history", "revisions", "1")).json()["xml"]

    edited = client.patch(networks_url(test_driver_host, "history"),
                          {"xml": xml.replace("192.168.243.1", "192.168.243.254")}, content_type="application/json")
    listed = client.get(networks_url(test_driver_host, "history", "revisions"))
    diff = client.get(networks_url(test_driver_host, "history", "revisions", "diff"), {"from": 1, "to": 2})

    assert edited.status_code == 200, edited.content
    assert [(r["number"], r["author"], r["reason"]) for r in listed.json()["results"]] == [
        (2, owner.username, "XML edited in the console."), (1, owner.username, "Defined in the console.")]
    assert "192.168.243.254" in client.get(networks_url(test_driver_host, "history", "revisions", "2")).json()["xml"]
    assert diff.status_code == 200
    assert [line["kind"] for line in diff.json()["lines"] if "192.168.243.254" in line["text"]] == ["add"]
    assert "+" in diff.json()["unified"] and "192.168.243.254" in diff.json()["unified"]


def test_a_network_found_in_libvirt_gets_its_definition_as_the_first_revision(as_user, owner, test_driver_host):
    adapter.connection_for(test_driver_host).get().networkDefineXML("<network><name>found</name></network>")

    listed = as_user(owner).get(networks_url(test_driver_host, "found", "revisions"))

    assert [(r["number"], r["author"]) for r in listed.json()["results"]] == [(1, "")]
    assert listed.json()["results"][0]["reason"] == "As libvirt held it when the console first saw it."
    row = Network.objects.get(host=test_driver_host, name="found")
    assert "<name>found</name>" in NetworkRevision.objects.of(row).get().xml


def test_a_network_user_reads_the_history_of_her_network_only(as_user, owner, teammate, grant, define_role,
                                                              test_driver_host):
    lab, _ = do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    secret, _ = do_define_network(owner, test_driver_host, fields={"name": "secret", "forward": "none"})
    grant("Network user", network=lab)
    grant(define_role("Secret glancer", ["network.getattr"]), network=secret)
    client = as_user(teammate)

    mine = client.get(networks_url(test_driver_host, "lab", "revisions"))
    glanced = client.get(networks_url(test_driver_host, "secret", "revisions", "1"))
    nothing = client.get(networks_url(test_driver_host, "lab", "revisions", "7"))

    assert [r["number"] for r in mine.json()["results"]] == [1]
    assert (glanced.status_code, glanced.json()["fields"]["permission"]) == (403, "network.read")
    assert nothing.status_code == 404
    assert client.get(networks_url(test_driver_host, "nowhere", "revisions")).status_code == 404


def test_a_diff_asks_for_two_revision_numbers(as_user, owner, test_driver_host):
    do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})

    answer = as_user(owner).get(networks_url(test_driver_host, "lab", "revisions", "diff"), {"from": "one", "to": 1})

    assert answer.status_code == 400 and "from" in answer.json()["fields"]
    answer = as_user(owner).get(networks_url(test_driver_host, "lab", "revisions", "diff"), {"from": "²", "to": 1})
    assert answer.status_code == 400 and "from" in answer.json()["fields"]
