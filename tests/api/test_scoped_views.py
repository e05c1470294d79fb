"""The one lookup under every API and page view: 404 for what a user may not see, 403 naming what they may not do."""

import pytest
from django.http import Http404
from rest_framework.test import APIClient, APIRequestFactory

from domains.access import permissions
from domains.access.lookups import visible
from domains.api.errors import api_exception_handler
from domains.daemon.actions import DAEMON_SEEN_THROUGH, DaemonSettingsError
from domains.errors import ConsoleError
from domains.hosts.actions import HostError
from domains.hosts.models import Host
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@pytest.fixture
def scene(make_test_host, teammate, outsider, make_user, grant, define_role):
    """A host with two domains; the teammate viewing one of them, the outsider, and a daemon watcher of the host."""
    host = make_test_host("scoped", domains=2)
    inventory.sync_host(host)
    seen, unseen = (Domain.objects.get(host=host, name=name) for name in ("vm0000", "vm0001"))
    grant("Viewer", domain=seen)
    watcher = make_user("watcher")
    grant(define_role("Daemon watcher", ["daemon_read"]), to=watcher, host=host)
    return {"host": host, "seen": seen, "unseen": unseen, "viewer": teammate, "outsider": outsider, "watcher": watcher}


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_finds_a_domain_the_user_may_see_and_act_on(scene):
    assert visible(scene["viewer"], Domain, scene["seen"].uuid, "read") == scene["seen"]


def test_it_answers_404_for_a_domain_the_user_may_not_see(scene):
    with pytest.raises(Http404):
        visible(scene["viewer"], Domain, scene["unseen"].uuid, "read")


def test_it_answers_403_naming_the_permission_on_a_visible_domain(scene):
    with pytest.raises(permissions.PermissionDenied) as refused:
        visible(scene["viewer"], Domain, scene["seen"].uuid, "start")
    assert refused.value.permission == "start"


def test_a_domain_grant_shows_its_host_but_acts_on_nothing_there(scene):
    assert visible(scene["viewer"], Host, scene["host"].pk) == scene["host"]
    with pytest.raises(permissions.PermissionDenied):
        visible(scene["viewer"], Host, scene["host"].pk, "manage_hosts")


def test_daemon_read_alone_shows_a_hosts_daemon_but_not_the_host(scene):
    watcher, host = scene["watcher"], scene["host"]
    assert visible(watcher, Host, host.pk, "daemon_read", DAEMON_SEEN_THROUGH) == host
    with pytest.raises(permissions.PermissionDenied):
        visible(watcher, Host, host.pk, "daemon_write", DAEMON_SEEN_THROUGH)
    with pytest.raises(Http404):
        visible(watcher, Host, host.pk)


def test_the_domain_api_answers_404_to_an_outsider_and_403_to_a_viewer_without_the_permission(scene):
    seen = scene["seen"]
    hidden = client_of(scene["outsider"]).post(f"/api/v1/domains/{seen.uuid}/actions", {"action": "start"},
                                               format="json")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    refused = client_of(scene["viewer"]).post(f"/api/v1/domains/{seen.uuid}/actions", {"action": "start"},
                                              format="json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == {"permission": "start"}
    assert client_of(scene["viewer"]).get(f"/api/v1/domains/{seen.uuid}/xml").status_code == 200


def test_the_host_api_answers_404_to_an_outsider_and_403_to_a_viewer_who_may_not_manage_hosts(scene):
    host = scene["host"]
    assert client_of(scene["outsider"]).get(f"/api/v1/hosts/{host.pk}").status_code == 404
    assert client_of(scene["viewer"]).get(f"/api/v1/hosts/{host.pk}").status_code == 200
    refused = client_of(scene["viewer"]).patch(f"/api/v1/hosts/{host.pk}", {"enabled": False}, format="json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == {"permission": "manage_hosts"}


def test_the_host_list_holds_only_the_hosts_a_user_may_see(scene):
    assert client_of(scene["outsider"]).get("/api/v1/hosts").json()["results"] == []
    assert [row["id"] for row in client_of(scene["viewer"]).get("/api/v1/hosts").json()["results"]] == [
        scene["host"].pk]


def test_the_daemon_api_answers_404_to_an_outsider_and_403_to_a_watcher_who_changes_settings(scene):
    host = scene["host"]
    assert client_of(scene["outsider"]).get(f"/api/v1/hosts/{host.pk}/daemon").status_code == 404
    refused = client_of(scene["watcher"]).patch(f"/api/v1/hosts/{host.pk}/daemon", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == {"permission": "daemon_write"}


def test_the_page_views_use_the_same_answers(scene, client):
    seen = scene["seen"]
    client.force_login(scene["outsider"])
    assert client.get(f"/domains/{seen.uuid}/").status_code == 404
    client.force_login(scene["viewer"])
    assert client.get(f"/domains/{seen.uuid}/").status_code == 200
    refused = client.post(f"/domains/{seen.uuid}/actions/start/")
    assert refused.status_code == 403
    assert "start" in refused.content.decode()


# --- the one error base, mapped once ---

def _answer(exc):
    request = APIRequestFactory().get("/api/v1/anything")
    return api_exception_handler(exc, {"request": request, "view": None})


def test_a_feature_error_answers_its_own_status_code_and_fields_through_the_one_mapping():
    answer = _answer(HostError("'x' is not a libvirt URI.", field="uri"))
    assert answer.status_code == 400
    assert answer.data == {"status": 400, "code": "invalid_host", "message": "'x' is not a libvirt URI.",
                           "fields": {"uri": ["'x' is not a libvirt URI."]}}
    unreachable = _answer(DaemonSettingsError("The daemon is not reachable: start it.", "unreachable"))
    assert (unreachable.status_code, unreachable.data["code"]) == (503, "unreachable")
    assert "fields" not in unreachable.data


def test_every_feature_error_derives_from_the_one_base():
    from domains.access.audit import AuditFilterError
    from domains.access.grants import GrantError
    from domains.definitions.xml import DefinitionError
    from domains.libvirt.adapter import VirtError
    from domains.lifecycle.actions import ActionError
    from qemu_extras.monitor.actions import PassthroughError
    from qemu_extras.namespace.changes import ChangeRefused

    for error in (ActionError, AuditFilterError, ChangeRefused, DaemonSettingsError, DefinitionError, GrantError,
                  HostError, PassthroughError, VirtError):
        assert issubclass(error, ConsoleError), error


def test_an_unexpected_exception_still_answers_the_one_error_shape():
    answer = _answer(RuntimeError("a bug"))
    assert answer.status_code == 500
    assert answer.data["code"] == "server_error"
    assert "a bug" not in answer.data["message"]
