"""Every refused action leaves one audit entry, whether the page, the API or the action itself refused it."""

import pytest
from rest_framework.test import APIClient

from domains.access.models import AuditEntry
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_and_vm(owner, teammate, grant, make_test_host, client):
    """The teammate, a Viewer of the one domain of a host."""
    host = make_test_host(domains=1)
    client.force_login(owner)
    client.get("/")
    vm = Domain.objects.get(host=host)
    grant("Viewer", domain=vm)
    return teammate, vm


def refusals():
    return list(AuditEntry.objects.filter(outcome="denied").values_list("actor_name", "action", "parameters"))


def test_a_refused_lifecycle_action_is_audited_once(client, viewer_and_vm):
    viewer, vm = viewer_and_vm
    client.force_login(viewer)

    response = client.post(f"/domains/{vm.uuid}/actions/start/")

    assert response.status_code == 403
    assert [(actor, action) for actor, action, _ in refusals()] == [("bob", "domain.start")]


def test_a_refused_api_call_is_audited_with_the_missing_permission(viewer_and_vm):
    viewer, vm = viewer_and_vm
    api = APIClient()
    api.force_authenticate(viewer)

    response = api.post(f"/api/v1/domains/{vm.uuid}/console-tickets", {"kind": "serial"}, format="json")

    assert response.status_code == 403
    (actor, action, parameters), = refusals()
    assert actor == "bob"
    assert action == f"refused POST /api/v1/domains/{vm.uuid}/console-tickets"
    assert parameters == {"permission": "open_device"}


def test_a_refused_page_is_audited(client, viewer_and_vm, make_test_host):
    viewer, _ = viewer_and_vm
    client.force_login(viewer)

    response = client.post("/hosts/add/", {"name": "x", "uri": "test:///default"})

    assert response.status_code == 403
    assert [(actor, action) for actor, action, _ in refusals()] == [("bob", "refused POST /hosts/add/")]


def test_a_refused_qemu_monitor_command_is_audited_once_with_the_permission_it_needs(viewer_and_vm):
    viewer, vm = viewer_and_vm
    api = APIClient()
    api.force_authenticate(viewer)

    response = api.post(f"/api/qemu/v1/domains/{vm.uuid}/monitor",
                        {"command": '{"execute": "query-status"}', "hmp": False}, format="json")

    assert response.status_code == 403
    entries = list(AuditEntry.objects.filter(outcome__startswith="denied").values_list("actor_name", "outcome"))
    assert entries == [("bob", "denied: needs monitor_read")]
