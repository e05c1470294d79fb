"""The Access page of one network on a test:/// host: grants on it and those in force from the host or everywhere,
a grant form offering the roles that mean something on a network, and what a teammate granted "Network user"
there sees and does from the pages."""

import pytest

from domains.access.models import Grant
from domains.lifecycle import inventory
from domains.networks.actions import do_define_network


@pytest.fixture
def lab_host(owner, test_driver_host):
    """The test host with isolated networks "lab" and "secret", defined by the owner."""
    do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    do_define_network(owner, test_driver_host, fields={"name": "secret", "forward": "none"})
    return test_driver_host


def lab(host):
    return host.networks.get(name="lab")


def access_url(host, name="lab"):
    return f"/hosts/{host.pk}/networks/{name}/access/"


def test_the_owner_grants_network_user_on_one_network_from_its_access_page(as_user, owner, teammate, lab_host):
    client = as_user(owner)

    network_page = client.get(f"/hosts/{lab_host.pk}/networks/lab/").content.decode()
    form = client.get(access_url(lab_host)).content.decode()
    answer = client.post(access_url(lab_host), {"role": "Network user", "holder": f"user:{teammate.username}"})

    assert f'href="{access_url(lab_host)}"' in network_page
    assert "Grant on network lab on networks-test" in form
    assert '<option value="Network user">' in form and '<option value="Viewer">' not in form
    assert answer.status_code == 302 and answer["Location"] == access_url(lab_host)
    grant = Grant.objects.get(user=teammate)
    assert (grant.role.name, grant.network.name, grant.host_id) == ("Network user", "lab", None)
    listed = client.get(access_url(lab_host)).content.decode()
    assert f'<tr data-grant="{grant.pk}">' in listed and "network lab</a>" in listed


def test_the_access_page_shows_the_grants_in_force_from_the_host_and_everywhere(as_user, owner, teammate, outsider,
                                                                                grant, lab_host):
    on_lab = grant("Network user", network=lab(lab_host))
    on_host = grant("Viewer", host=lab_host, to=outsider)
    everywhere = grant("Viewer", to=outsider)

    page = as_user(owner).get(access_url(lab_host)).content.decode()

    mine, inherited = page.split("Also in force here")
    assert f'data-grant="{on_lab.pk}"' in mine and f'data-grant="{on_host.pk}"' not in mine
    assert f'data-grant="{on_host.pk}"' in inherited and f'data-grant="{everywhere.pk}"' in inherited
    assert "reach this network too" in inherited


def test_a_role_that_gives_nothing_on_a_network_is_refused_with_the_reason(as_user, owner, teammate, lab_host):
    answer = as_user(owner).post(access_url(lab_host), {"role": "Viewer", "holder": f"user:{teammate.username}"},
                                 follow=True)

    assert "The role &#x27;Viewer&#x27; gives nothing on a network" in answer.content.decode()
    assert not Grant.objects.filter(user=teammate).exists()


def test_a_network_user_sees_only_her_network_and_plugs_her_domain_into_it(as_user, teammate, grant, lab_host):
    inventory.sync_host(lab_host)
    vm = lab_host.domains.get(name="vm0000")
    grant("Network user", network=lab(lab_host))
    grant("Power user", domain=vm)
    client = as_user(teammate)

    listing = client.get(f"/hosts/{lab_host.pk}/networks/").content.decode()
    plugged = client.post(f"/domains/{vm.uuid}/interfaces/add/", {"type": "network", "network": "lab",
                                                                   "model": "virtio"})
    refused = client.post(f"/domains/{vm.uuid}/interfaces/add/", {"type": "network", "network": "secret",
                                                                   "model": "virtio"})

    assert 'data-network-name="lab"' in listing and 'data-network-name="secret"' not in listing
    assert plugged.status_code == 302, plugged.content.decode()[:500]
    assert "<source network='lab'/>" in vm.revisions.newest_first().first().xml
    assert refused.status_code == 400 and "secret" in refused.content.decode()
    assert "<source network='secret'/>" not in vm.revisions.newest_first().first().xml


def test_without_a_grant_the_network_pages_answer_as_the_api_does(as_user, teammate, outsider, grant, lab_host):
    grant("Network user", network=lab(lab_host))
    client = as_user(teammate)

    assert client.get(f"/hosts/{lab_host.pk}/networks/secret/").status_code == 404
    assert client.get(f"/api/v1/hosts/{lab_host.pk}/networks/secret").status_code == 404
    assert client.get(access_url(lab_host, "secret")).status_code == 404
    assert client.get(access_url(lab_host)).status_code == 403  # she sees lab, but may not manage its grants
    assert "Access</a>" not in client.get(f"/hosts/{lab_host.pk}/networks/lab/").content.decode()
    stranger = as_user(outsider)
    assert stranger.get(access_url(lab_host)).status_code == 404
    assert stranger.get(f"/hosts/{lab_host.pk}/networks/").status_code == 404
