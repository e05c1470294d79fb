"""Host URIs: only a global manage_hosts sets them; test:/// files only under the configured directory; no echoes."""

import pytest
from rest_framework.test import APIClient

from domains.access.models import AuditEntry
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError

pytestmark = pytest.mark.django_db

FIRST_LINE = "root:x:0:0"  # /etc/passwd's first line on Debian


@pytest.fixture
def host_admin(make_test_host, teammate, grant):
    """The teammate, holding the Administrator role (manage_hosts included) on one host only, and that host."""
    host = make_test_host("hosted", domains=1)
    grant("Administrator", host=host)
    return teammate, host


def refusals():
    return list(AuditEntry.objects.exclude(outcome="ok").values_list("actor_name", "action", "outcome"))


def test_a_per_host_manage_hosts_holder_cannot_repoint_the_host_from_the_page(client, host_admin):
    user, host = host_admin
    before = host.uri
    client.force_login(user)

    response = client.post(f"/hosts/{host.pk}/update/", {"name": host.name, "uri": "qemu:///system",
                                                         "enabled": "on"})

    assert response.status_code == 403
    assert "on everything" in response.content.decode()
    host.refresh_from_db()
    assert host.uri == before
    assert adapter.connection_for(host).uri == before
    assert refusals() == [("bob", "host.update", "denied")]


def test_a_per_host_manage_hosts_holder_cannot_repoint_the_host_through_the_api(host_admin):
    user, host = host_admin
    api = APIClient()
    api.force_authenticate(user)

    response = api.patch(f"/api/v1/hosts/{host.pk}", {"uri": "qemu:///system"}, format="json")

    assert response.status_code == 403
    assert response.json()["fields"]["permission"] == "manage_hosts"
    assert Host.objects.get(pk=host.pk).uri == host.uri
    assert refusals() == [("bob", "host.update", "denied")]


def test_a_per_host_manage_hosts_holder_may_still_rename_the_host(client, host_admin):
    user, host = host_admin
    client.force_login(user)

    client.post(f"/hosts/{host.pk}/update/", {"name": "renamed", "uri": host.uri, "enabled": "on"})

    assert Host.objects.get(pk=host.pk).name == "renamed"


def test_a_per_host_manage_hosts_holder_cannot_add_a_host(host_admin):
    user, _host = host_admin
    api = APIClient()
    api.force_authenticate(user)

    response = api.post("/api/v1/hosts", {"name": "mine", "uri": "qemu:///system"}, format="json")

    assert response.status_code == 403
    assert not Host.objects.filter(name="mine").exists()
    assert len(refusals()) == 1


@pytest.mark.parametrize("uri", ["test:///etc/passwd", "test+unix:///etc/passwd", "test://localhost/etc/passwd"])
def test_it_refuses_a_test_uri_naming_a_host_file_and_echoes_nothing_of_it(client, owner, uri):
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "peek", "uri": uri, "enabled": "on"}, follow=True).content.decode()

    assert "test:///default" in page and "msg-error" in page
    assert FIRST_LINE not in page
    assert not Host.objects.filter(name="peek").exists()
    (entry,) = AuditEntry.objects.filter(action="host.add")
    assert entry.outcome.startswith("refused: A test driver URI may only")


def test_it_refuses_an_escape_from_the_configured_directory(owner, test_uri_dir, tmp_path):
    link = tmp_path / "passwd.xml"
    link.symlink_to("/etc/passwd")
    api = APIClient()
    api.force_authenticate(owner)

    for uri in (f"test://{link}", f"test://{test_uri_dir}/../../etc/passwd"):
        response = api.post("/api/v1/hosts", {"name": "peek", "uri": uri}, format="json")
        assert response.status_code == 400, uri
        assert "may only name files under" in response.json()["message"]
        assert FIRST_LINE not in str(response.json())
    assert not Host.objects.filter(name="peek").exists()


def test_it_never_echoes_a_file_under_the_configured_directory(owner, tmp_path):
    secret = tmp_path / "notes.txt"
    secret.write_text("the-first-line-is-secret\nmore\n")
    api = APIClient()
    api.force_authenticate(owner)

    response = api.post("/api/v1/hosts", {"name": "notes", "uri": f"test://{secret}"}, format="json")

    assert response.status_code == 400
    assert "withheld" in response.json()["message"]
    assert "the-first-line-is-secret" not in str(response.json())
    assert "the-first-line-is-secret" not in str(list(AuditEntry.objects.values_list("parameters", "outcome")))


def test_a_stored_uri_naming_a_host_file_is_never_opened(db):
    # A raw row, as one stored before URIs were checked: do_add_host refuses this URI.
    host = Host.objects.create(name="old-row", uri="test:///etc/passwd")

    with pytest.raises(VirtError) as refused:
        adapter.connection_for(host).get()

    assert "test:///default" in refused.value.message and FIRST_LINE not in refused.value.message
    assert adapter.health_of(host).state == adapter.FAILED
    adapter.forget_host(host.pk)


def test_without_a_configured_directory_only_test_default_is_accepted(owner, settings, tmp_path):
    settings.TEST_URI_DIR = None
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    api = APIClient()
    api.force_authenticate(owner)

    refused = api.post("/api/v1/hosts", {"name": "t1", "uri": f"test://{node}"}, format="json")
    accepted = api.post("/api/v1/hosts", {"name": "t2", "uri": "test:///default"}, format="json")

    assert refused.status_code == 400 and "VIRTCONSOLE_TEST_URI_DIR is not set" in refused.json()["message"]
    assert accepted.status_code == 201
    adapter.forget_host(accepted.json()["id"])


def test_it_refuses_a_password_in_a_uri_and_never_stores_it(client, owner):
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "pw", "uri": "qemu+ssh://root:hunter2@127.0.0.1:1/system",
                                       "enabled": "on"}, follow=True).content.decode()

    assert "no password in a host URI" in page and "hunter2" not in page
    assert not Host.objects.filter(name="pw").exists()
    stored = list(AuditEntry.objects.values_list("parameters", "outcome"))
    assert stored and "hunter2" not in str(stored)


def test_a_password_left_in_a_stored_uri_is_not_shown(owner):
    # A raw row, as one stored before passwords were refused: do_add_host refuses this URI.
    host = Host.objects.create(name="legacy", uri="qemu+ssh://root:hunter2@127.0.0.1:1/system", enabled=False)
    api = APIClient()
    api.force_authenticate(owner)

    shown = api.get(f"/api/v1/hosts/{host.pk}").json()

    assert shown["uri"] == "qemu+ssh://root:[redacted]@127.0.0.1:1/system"


def test_a_hidden_host_answers_404_and_the_probe_is_audited(outsider, make_test_host):
    host = make_test_host("secret-host", domains=0)
    api = APIClient()
    api.force_authenticate(outsider)

    response = api.patch(f"/api/v1/hosts/{host.pk}", {"uri": "qemu:///system"}, format="json")

    assert response.status_code == 404
    assert refusals() == [("mallory", f"refused PATCH /api/v1/hosts/{host.pk}", "not found")]
    assert Host.objects.get(pk=host.pk).uri == host.uri
