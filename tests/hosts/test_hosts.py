"""Adding, editing, disabling and removing hosts: the URI is checked and reached before it is saved."""

import pytest

from domains.hosts.actions import do_add_host
from domains.hosts.models import Host

pytestmark = pytest.mark.django_db


def test_it_adds_a_reachable_host(client, owner):
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "t", "uri": "test:///default", "enabled": "on"}, follow=True)

    assert "Host &#x27;t&#x27; added." in page.content.decode()
    assert Host.objects.filter(name="t", uri="test:///default").exists()


def test_it_refuses_an_unreachable_uri_with_libvirts_words_and_saves_nothing(client, owner):
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "far", "uri": "qemu+tcp://127.0.0.1:1/system", "enabled": "on"},
                       follow=True).content.decode()

    assert "Could not reach qemu+tcp://127.0.0.1:1/system" in page
    assert "Connection refused" in page or "unable to connect" in page
    assert not Host.objects.filter(name="far").exists()


@pytest.mark.parametrize("uri", ["http://example.com/", "qemu:system", "", "qemu:///embed?root=/tmp/x"])
def test_it_refuses_what_is_not_a_usable_libvirt_uri(client, owner, uri):
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "bad", "uri": uri, "enabled": "on"}, follow=True).content.decode()

    assert "msg-error" in page
    assert not Host.objects.filter(name="bad").exists()


def test_it_refuses_a_duplicate_name(client, owner):
    do_add_host(owner, "dup", "test:///default")
    client.force_login(owner)

    page = client.post("/hosts/add/", {"name": "dup", "uri": "test:///default", "enabled": "on"}, follow=True)

    assert "exists already" in page.content.decode()
    assert Host.objects.filter(name="dup").count() == 1


def test_it_disables_and_renames_a_host(client, owner):
    host = do_add_host(owner, "old", "test:///default")
    client.force_login(owner)

    client.post(f"/hosts/{host.pk}/update/", {"name": "new", "uri": "test:///default"})

    host.refresh_from_db()
    assert (host.name, host.enabled) == ("new", False)
    assert "Host is disabled." in client.get("/").content.decode()


def test_it_removes_a_host(client, owner):
    host = do_add_host(owner, "bye", "test:///default")
    client.force_login(owner)

    client.post(f"/hosts/{host.pk}/remove/")

    assert not Host.objects.filter(pk=host.pk).exists()


def test_it_keeps_the_embedded_host(client, owner):
    # A raw row: do_add_host refuses embedded hosts (the console runs the one embedded driver itself).
    host = Host.objects.create(name="embedded", uri="qemu:///embed?root=/tmp/x", embedded=True)
    client.force_login(owner)

    page = client.post(f"/hosts/{host.pk}/remove/", follow=True).content.decode()

    assert "cannot be removed" in page
    assert Host.objects.filter(pk=host.pk).exists()


def test_it_hides_host_management_from_other_users(client, outsider):
    client.force_login(outsider)

    response = client.post("/hosts/add/", {"name": "x", "uri": "test:///default"})

    assert response.status_code == 403
    assert not Host.objects.filter(name="x").exists()


def test_a_refused_add_keeps_what_was_typed_and_points_at_the_field(client, owner):
    do_add_host(owner, "dup", "test:///default")
    client.force_login(owner)

    answer = client.post("/hosts/add/", {"name": "dup", "uri": "test:///default", "enabled": "on"})
    page = answer.content.decode()

    assert answer.status_code == 400 and "exists already" in page
    assert 'class="form-control is-invalid" id="add-host-name" name="name" value="dup" required autofocus' in page
    assert 'id="add-host-uri" name="uri" value="test:///default"' in page


def test_a_refused_change_keeps_what_was_typed_in_the_opened_form(client, owner):
    do_add_host(owner, "taken", "test:///default")
    host = do_add_host(owner, "mine", "test:///default")
    client.force_login(owner)

    answer = client.post(f"/hosts/{host.pk}/update/", {"name": "taken", "uri": "test:///default", "enabled": "on"})
    page = answer.content.decode()

    assert answer.status_code == 400
    assert f'<tr class="collapse show" id="edit-host-{host.pk}">' in page
    assert f'id="host-{host.pk}-name" name="name" value="taken" required autofocus' in page
    host.refresh_from_db()
    assert host.name == "mine"


def test_removing_a_host_asks_first_and_says_what_stays(client, owner):
    host = do_add_host(owner, "bye", "test:///default")
    client.force_login(owner)

    page = client.get("/hosts/").content.decode()

    form = page[page.index(f'action="/hosts/{host.pk}/remove/"'):]
    assert form.index('data-confirm="Remove host bye?"') < form.index("</form>")
    assert "are not touched in libvirt" in form
