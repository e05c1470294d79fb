"""The daemon page of a qemu:///system host, and who may see and change it, against the real libvirtd."""

import json
import subprocess
import sys

import pytest

from domains.daemon.actions import stored_desired
from domains.daemon.models import DaemonSettingsRevision
from tests.conftest import wait_for
from tests.daemon.daemon_helpers import SERVER, virt_admin, virt_admin_table

pytestmark = [pytest.mark.system]


def page_url(host, rest=""):
    return f"/hosts/{host.pk}/daemon/{rest}"


def test_the_hosts_page_links_to_the_daemon_page(api, system_host):
    assert page_url(system_host) in api.get("/hosts/").content.decode()


def test_it_shows_thread_pool_limits_clients_and_logging(api, system_host):
    text = api.get(page_url(system_host)).content.decode()

    shown = virt_admin_table("srv-threadpool-info", SERVER)
    assert 'id="server-libvirtd"' in text and 'id="server-admin"' in text
    assert f'<td class="num live text-end">{shown["maxWorkers"]}</td>' in text
    assert "job queue depth" in text and "unauthenticated clients now" in text
    assert 'id="logging"' in text and 'id="no-drift"' in text
    assert "Reload TLS certificates" in text and "Apply the thread pool" in text and "Apply the client limits" in text
    assert "this console's own admin connection" in text, "its keeper is a client of the admin server"


def test_it_sets_max_workers_from_the_page(api, system_host):
    answer = api.post(page_url(system_host, "apply/"),
                      {"group": "threadpool", "server": SERVER, "min_workers": "", "max_workers": "31",
                       "prio_workers": ""})

    assert answer.status_code == 302
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 31
    revision = DaemonSettingsRevision.objects.get(settings__host=system_host)
    assert revision.reason == "console"
    text = api.get(page_url(system_host)).content.decode()
    assert "Applied to the daemon and stored as revision 1." in text
    assert 'value="31"' in text and 'data-reason="console"' in text


def test_it_highlights_drift_and_puts_the_daemon_back_on_the_desired_settings(api, system_host):
    assert api.post(page_url(system_host, "apply/"),
                    {"group": "threadpool", "server": SERVER, "max_workers": "32"}).status_code == 302
    virt_admin("srv-threadpool-set", SERVER, "--max-workers", "25")  # someone changes it by hand

    text = api.get(page_url(system_host)).content.decode()
    assert 'id="drift"' in text and "<code>servers.libvirtd.threadpool.max_workers</code>: desired 32, live 25" in text
    assert '<tr class="drift table-warning" data-setting="max_workers">' in text

    assert api.post(page_url(system_host, "apply/"), {"group": "reapply"}).status_code == 302
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 32
    latest = DaemonSettingsRevision.objects.filter(settings__host=system_host).first()
    assert latest.number == 2 and latest.changed[0]["before"]["max_workers"] == 25
    assert 'id="no-drift"' in api.get(page_url(system_host)).content.decode()


def test_it_shows_the_checkers_message_for_a_bad_filter_and_applies_nothing(api, system_host):
    before = virt_admin("daemon-log-filters")

    answer = api.post(page_url(system_host, "apply/"), {"group": "logging", "log_filters": "5:qemu", "log_outputs": ""})

    assert answer.status_code == 400
    text = answer.content.decode()
    assert "log filter &#x27;5:qemu&#x27;: &#x27;5&#x27; is not a level from 1 (debug) to 4 (error)" in text
    assert 'value="5:qemu"' in text, "what was typed is kept"
    assert virt_admin("daemon-log-filters") == before
    assert stored_desired(system_host.pk) == {}


def test_a_value_libvirt_rejects_is_shown_in_libvirts_words(api, system_host):
    max_workers = virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"]

    answer = api.post(page_url(system_host, "apply/"),
                      {"group": "threadpool", "server": SERVER, "min_workers": str(max_workers + 5)})

    assert answer.status_code == 400
    assert "minWorkers cannot be larger than maxWorkers" in answer.content.decode()
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == max_workers
    assert stored_desired(system_host.pk) == {}


def test_it_disconnects_a_client_from_the_page(api, system_host):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import libvirt, sys; c = libvirt.open('qemu:///system'); print('open', flush=True); "
                               "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        clients = wait_for(lambda: [c for c in json.loads(virt_admin_json(api, system_host))["clients"][SERVER]
                                    if c["identity"].get("unix_process_id") == holder.pid])
        client_id = clients[0]["id"]
        assert f'data-client="libvirtd/{client_id}"' in api.get(page_url(system_host)).content.decode()

        answer = api.post(page_url(system_host, f"clients/{client_id}/disconnect/"), {"server": SERVER})

        assert answer.status_code == 302
        text = api.get(page_url(system_host)).content.decode()
        assert f"Client {client_id} of libvirtd was disconnected." in text
        assert f'data-client="libvirtd/{client_id}"' not in text
    finally:
        holder.kill()
        holder.wait()


def virt_admin_json(api, host):
    return api.get(f"/api/v1/hosts/{host.pk}/daemon").content


# --- who may see and change it ---

@pytest.fixture
def people(system_host, make_user, teammate, outsider, grant, define_role):
    """A Viewer of the host, the teammate holding only daemon_read on it, and the outsider."""
    viewer = make_user("vera")
    grant("Viewer", to=viewer, host=system_host)
    grant(define_role("Daemon reader", ["daemon_read"]), host=system_host)
    return {"viewer": viewer, "reader": teammate, "stranger": outsider}


def test_someone_who_cannot_see_the_host_gets_404(client, system_host, people):
    client.force_login(people["stranger"])

    assert client.get(page_url(system_host)).status_code == 404
    assert client.get(f"/api/v1/hosts/{system_host.pk}/daemon").status_code == 404


def test_someone_who_sees_the_host_without_daemon_read_gets_403_naming_it(client, system_host, people):
    client.force_login(people["viewer"])

    answer = client.get(f"/api/v1/hosts/{system_host.pk}/daemon")

    assert answer.status_code == 403 and answer.json()["fields"]["permission"] == "daemon_read"
    assert client.get(page_url(system_host)).status_code == 403


def test_daemon_read_shows_the_page_without_forms_and_changes_nothing(client, system_host, people):
    client.force_login(people["reader"])

    text = client.get(page_url(system_host)).content.decode()
    assert 'id="server-libvirtd"' in text and "Apply the thread pool" not in text and "Disconnect" not in text
    answer = client.patch(f"/api/v1/hosts/{system_host.pk}/daemon", data=json.dumps({"threadpool": {"max_workers": 9}}),
                          content_type="application/json")
    assert answer.status_code == 403 and answer.json()["fields"]["permission"] == "daemon_write"
    assert client.post(page_url(system_host, "apply/"), {"group": "threadpool", "max_workers": "9"}).status_code == 403
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] != 9
