"""Lifecycle actions from the domain page: each a POST, libvirt's verdict shown, never a 500."""

import pytest

from domains.libvirt.adapter import connection_for
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def vm(client, owner, make_test_host):
    host = make_test_host(domains=1)
    client.force_login(owner)
    client.get("/")
    return Domain.objects.get(host=host, name="vm0000")


def state_of(domain):
    return connection_for(domain.host).get().lookupByUUID(domain.uuid.bytes).state()[0]


def post_action(client, domain, action, **data):
    return client.post(f"/domains/{domain.uuid}/actions/{action}/", data, follow=True)


@pytest.mark.parametrize(
    "sequence, final_state",
    [
        (["start"], 1),
        (["start", "suspend"], 3),
        (["start", "suspend", "resume"], 1),
        (["start", "destroy"], 5),
        (["start", "shutdown"], 5),
        (["start", "reboot"], 1),
        (["start", "reset"], 1),
        (["start", "managed_save"], 5),
    ],
)
def test_it_runs_each_action_and_libvirt_reports_the_new_state(client, vm, sequence, final_state):
    for action in sequence:
        page = post_action(client, vm, action).content.decode()
        assert "msg-success" in page, page

    assert state_of(vm) == final_state


def test_it_sets_autostart_on_and_off(client, vm):
    dom = connection_for(vm.host).get().lookupByUUID(vm.uuid.bytes)

    post_action(client, vm, "autostart_on")
    assert dom.autostart() == 1
    post_action(client, vm, "autostart_off")
    assert dom.autostart() == 0


def test_it_shows_libvirts_message_for_an_action_in_the_wrong_state(client, vm):
    response = post_action(client, vm, "suspend")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Could not pause &#x27;vm0000&#x27;" in page
    assert "not running" in page
    assert state_of(vm) == 5


def test_it_refuses_an_unknown_action_by_name(client, vm):
    page = post_action(client, vm, "explode").content.decode()

    assert "Unknown action &#x27;explode&#x27;" in page


def test_it_refuses_state_changes_by_get(client, vm):
    response = client.get(f"/domains/{vm.uuid}/actions/start/")

    assert response.status_code == 405
    assert state_of(vm) == 5


def test_it_needs_the_typed_name_to_undefine(client, vm):
    page = post_action(client, vm, "undefine", confirm_name="wrong").content.decode()

    assert "type its name to confirm" in page
    assert state_of(vm) == 5


def test_it_undefines_and_marks_the_row_gone(client, vm):
    post_action(client, vm, "undefine", confirm_name="vm0000")
    client.get("/")

    vm.refresh_from_db()
    assert vm.gone


def test_it_says_clearly_when_the_domain_vanished(client, vm):
    connection_for(vm.host).get().lookupByUUID(vm.uuid.bytes).undefine()

    page = post_action(client, vm, "start").content.decode()

    assert "no longer exists on host" in page


def test_it_answers_404_for_a_missing_domain(client, vm):
    response = client.post("/domains/6d7c0d1c-0000-4000-8000-000000000000/actions/start/")

    assert response.status_code == 404


def test_it_rejects_a_post_without_csrf_token(vm, owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)

    response = strict.post(f"/domains/{vm.uuid}/actions/start/")

    assert response.status_code == 403
    assert state_of(vm) == 5
