"""Who may see and change networks: libvirt's network permission names, held through a host or global grant."""

import pytest

from domains.access.models import AuditEntry
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import do_define_network

URL = "/api/v1/hosts/{}/networks"


@pytest.fixture
def lab(owner, test_driver_host):
    """A stopped isolated network "lab" on the test host, defined by the owner."""
    do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    return test_driver_host


def test_an_outsider_is_told_the_host_and_its_networks_do_not_exist(as_user, outsider, lab):
    client = as_user(outsider)

    assert client.get(URL.format(lab.pk)).status_code == 404
    assert client.get(URL.format(lab.pk) + "/lab").status_code == 404
    assert client.post(URL.format(lab.pk), {"name": "mine", "forward": "none"},
                       content_type="application/json").status_code == 404
    assert libvirt_networks.find_network(lab, name="mine") is None


def test_a_domain_operator_on_the_host_is_told_he_lacks_network_getattr(as_user, teammate, grant, lab):
    grant("Operator", host=lab)

    answer = as_user(teammate).get(URL.format(lab.pk))

    assert answer.status_code == 403
    assert answer.json()["fields"]["permission"] == "network.getattr"


def test_a_network_viewer_on_the_host_sees_networks_but_may_not_start_or_define_them(
        as_user, teammate, grant, define_role, lab):
    grant(define_role("Network viewer", ["network.getattr", "network.read"]), host=lab)
    client = as_user(teammate)

    assert [network["name"] for network in client.get(URL.format(lab.pk)).json()] == ["lab"]
    started = client.post(URL.format(lab.pk) + "/lab/actions", {"action": "start"}, content_type="application/json")
    made = client.post(URL.format(lab.pk), {"name": "mine", "forward": "none"}, content_type="application/json")

    assert (started.status_code, made.status_code) == (403, 403)
    assert "network.start" in started.json()["message"] and "network.write" in made.json()["message"]
    assert libvirt_networks.network_live(libvirt_networks.find_network(lab, name="lab"))["active"] is False
    assert AuditEntry.objects.filter(action__startswith="refused POST", outcome="denied",
                                     parameters={"permission": "network.start"}).exists()


def test_a_network_operator_on_the_host_may_start_and_stop_but_not_delete(as_user, teammate, grant, define_role,
                                                                          lab):
    grant(define_role("Network operator", ["network.getattr", "network.start", "network.stop"]), host=lab)
    client = as_user(teammate)

    for action in ("start", "stop"):
        answer = client.post(URL.format(lab.pk) + "/lab/actions", {"action": action}, content_type="application/json")
        assert answer.status_code == 200, answer.content
    assert client.delete(URL.format(lab.pk) + "/lab").status_code == 403
    assert libvirt_networks.find_network(lab, name="lab") is not None
