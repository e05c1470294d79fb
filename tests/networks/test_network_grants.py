"""Grants on one network: given through the grants API, they show that network only (others answer 404), and act
on it only as far as the role goes (403 naming the permission)."""

import pytest

from domains.access.grants import GrantError, do_grant
from domains.access.models import AuditEntry, Grant
from domains.libvirt import networks as libvirt_networks
from domains.lifecycle import inventory
from domains.networks.actions import do_define_network

URL = "/api/v1/hosts/{}/networks"


@pytest.fixture
def two_networks(owner, test_driver_host):
    """Two stopped isolated networks on the test host, "lab" and "secret", defined by the owner: (lab, secret)."""
    lab, _ = do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    secret, _ = do_define_network(owner, test_driver_host, fields={"name": "secret", "forward": "none"})
    return lab, secret


def test_the_owner_grants_a_role_on_one_network_through_the_api(as_user, owner, teammate, two_networks):
    lab, _secret = two_networks

    answer = as_user(owner).post("/api/v1/grants", {"user": teammate.username, "role": "Network user",
                                                    "network": lab.pk}, content_type="application/json")

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["scope"], body["network"], body["network_name"], body["pool"], body["domain"]) == (
        "network", lab.pk, "lab", None, None)
    assert Grant.objects.get(pk=body["id"]).network == lab
    assert AuditEntry.objects.filter(action="grant.add", target_type="network", target_id=str(lab.pk)).exists()


def test_a_network_user_sees_her_network_only_and_the_other_answers_404(as_user, teammate, grant, two_networks):
    lab, secret = two_networks
    grant("Network user", network=lab)
    client = as_user(teammate)

    listed = client.get(URL.format(lab.host_id))
    shown, hidden = client.get(URL.format(lab.host_id) + "/lab"), client.get(URL.format(lab.host_id) + "/secret")
    missing = client.get(URL.format(lab.host_id) + "/nothing-here")

    assert [network["name"] for network in listed.json()] == ["lab"]
    assert shown.status_code == 200 and shown.json()["id"] == lab.pk
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["message"].replace("secret", "nothing-here") == missing.json()["message"]
    assert client.get(f"/api/v1/hosts/{lab.host_id}").status_code == 200  # seeing a network shows its host


def test_a_network_user_is_told_what_she_lacks_to_start_stop_or_change_it(as_user, teammate, grant, two_networks):
    lab, secret = two_networks
    grant("Network user", network=lab)
    client = as_user(teammate)
    base = URL.format(lab.host_id)

    started = client.post(base + "/lab/actions", {"action": "start"}, content_type="application/json")
    changed = client.patch(base + "/lab", {"autostart": True}, content_type="application/json")
    deleted = client.delete(base + "/lab")
    hidden_start = client.post(base + "/secret/actions", {"action": "start"}, content_type="application/json")
    defined = client.post(base, {"name": "mine", "forward": "none"}, content_type="application/json")

    assert (started.status_code, started.json()["fields"]["permission"]) == (403, "network.start")
    assert (changed.status_code, changed.json()["fields"]["permission"]) == (403, "network.write")
    assert (deleted.status_code, deleted.json()["fields"]["permission"]) == (403, "network.delete")
    assert hidden_start.status_code == 404
    assert (defined.status_code, defined.json()["fields"]["permission"]) == (403, "network.write")
    assert libvirt_networks.network_live(libvirt_networks.find_network(lab.host, name="lab"))["active"] is False
    assert libvirt_networks.find_network(lab.host, name="mine") is None


def test_a_role_with_start_and_stop_on_one_network_runs_them_there_and_nowhere_else(
        as_user, teammate, grant, define_role, two_networks):
    lab, secret = two_networks
    grant(define_role("Lab keeper", ["network.getattr", "network.start", "network.stop"]), network=lab)
    client = as_user(teammate)
    base = URL.format(lab.host_id)

    for action, active in (("start", True), ("stop", False)):
        answer = client.post(base + "/lab/actions", {"action": action}, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["active"] is active, answer.content
    assert client.post(base + "/secret/actions", {"action": "start"},
                       content_type="application/json").status_code == 404


def test_nobody_grants_on_a_network_she_may_not_see_or_manage(as_user, teammate, outsider, grant, two_networks):
    lab, secret = two_networks
    grant("Network user", network=lab)

    unseen = as_user(outsider).post("/api/v1/grants", {"user": teammate.username, "role": "Network user",
                                                       "network": secret.pk}, content_type="application/json")
    unmanaged = as_user(teammate).post("/api/v1/grants", {"user": outsider.username, "role": "Network user",
                                                          "network": lab.pk}, content_type="application/json")

    assert unseen.status_code == 404
    assert (unmanaged.status_code, unmanaged.json()["fields"]["permission"]) == (403, "manage_grants")
    assert not Grant.objects.filter(network=secret).exists()


def test_a_domain_role_gives_nothing_on_a_network_and_is_refused_there(owner, teammate, two_networks):
    lab, _secret = two_networks

    with pytest.raises(GrantError, match="'Viewer' gives nothing on a network.*'Network user'"):
        do_grant(owner, "Viewer", to_user=teammate, network=lab)


def test_a_role_with_network_permissions_but_no_network_getattr_is_refused(define_role):
    with pytest.raises(Exception, match="needs 'network.getattr'"):
        define_role("Blind plugger", ["network_port.create"])


def test_an_administrator_of_a_domain_holds_nothing_on_the_networks_of_its_host(
        as_user, teammate, grant, two_networks):
    lab, _secret = two_networks
    inventory.sync_host(lab.host)
    grant("Administrator", domain=lab.host.domains.get(name="vm0000"))
    client = as_user(teammate)

    listed = client.get(URL.format(lab.host_id))

    assert (listed.status_code, listed.json()["fields"]["permission"]) == (403, "network.getattr")
    assert client.get(URL.format(lab.host_id) + "/lab").status_code == 404


def test_revoking_the_network_grant_hides_the_network_again(as_user, owner, teammate, grant, two_networks):
    from domains.access.grants import do_revoke

    lab, _secret = two_networks
    given = grant("Network user", network=lab)
    client = as_user(teammate)
    assert client.get(URL.format(lab.host_id) + "/lab").status_code == 200

    do_revoke(owner, given)

    assert client.get(URL.format(lab.host_id) + "/lab").status_code == 404
