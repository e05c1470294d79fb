"""The host-side pages with real storage and networks: the system libvirtd added as a host of a console of the
test's own, a throw-away dir pool with one volume and a throw-away isolated network made through the API, then the
crawl of crawl.py (overflow at 1440x900 and 390x844, console errors, axe, 403/404 links, refused forms) over the
pool, network and daemon pages for the administrator and for a persona holding only "Pool viewer" on that pool and
"Network user" on that network. The pool and the network are removed at the end even when the test fails, through
a libvirt connection of the test's own and by their exact names: the system libvirtd is shared.
Set VC_UI_SHOTS to a folder to keep the screenshots (in its host-admin and host-persona folders).
"""

import os
import random
import shutil
import uuid
from pathlib import Path

import libvirt
import pytest
from django.conf import settings

from tests.browser_support import add_host_in_page, serve_console, served_manage, sign_in
from tests.ui.crawl import crawl

pytestmark = [pytest.mark.browser, pytest.mark.system]

SYSTEM_URI = "qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
PASSWORD = "host-pages-pass-123"
# The pages checked (every other page reached is only followed, for its links).
PAGES = {"pool-list", "pool-detail", "pool-create", "pool-xml", "pool-revision", "pool-volumes", "network-list",
         "network-detail", "network-create", "network-xml", "host-daemon", "host-isos", "nwfilter-list"}
MAKE_PERSONA = """
from domains.access.users import do_create_user
do_create_user(None, {username!r}, {password!r})
"""


def api(page, method, path, body=None):
    """(status, JSON answer) of an API request from the signed-in page (its session and CSRF token)."""
    return page.evaluate("""async ([method, path, body]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const answer = await fetch(path, {method, headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                                          body: body === null ? undefined : JSON.stringify(body)});
        return [answer.status, await answer.json().catch(() => ({}))];
    }""", [method, path, body])


def made(answer, what):
    status, body = answer
    assert 200 <= status < 300, f"{what}: {status} {body}"
    return body


def remove_pool_and_network(pool_name, directory, network_name):
    """Stop and undefine the test's own pool (and its volumes) and network, named exactly; nothing else."""
    conn = libvirt.open(SYSTEM_URI)
    try:
        try:
            pool = conn.storagePoolLookupByName(pool_name)
            if pool.isActive():
                pool.refresh(0)
                for volume in pool.listAllVolumes():
                    volume.delete()
                pool.destroy()
            if pool.isPersistent():
                pool.undefine()
        except libvirt.libvirtError:
            pass  # never made, or gone already
        try:
            network = conn.networkLookupByName(network_name)
            if network.isActive():
                network.destroy()
            if network.isPersistent():
                network.undefine()
        except libvirt.libvirtError:
            pass
    finally:
        conn.close()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def host_console(browser, system_libvirtd):
    """(base_url, var, facts): a console of its own with the system libvirtd as a host holding the test's pool
    (one volume) and network, and a persona with Pool viewer and Network user on them. facts: host id, pool and
    network names, the persona's username."""
    var = Path(f"/var/tmp/vchost-{os.getpid()}")
    tag = uuid.uuid4().hex[:8]
    pool_name, network_name = f"vcui-pool-{tag}", f"vcui{tag}"  # a network's name makes a bridge name: short
    directory = Path("/var/lib/libvirt/images") / pool_name  # under the default pool root a new host allows
    # VNC ports apart from the other served consoles (tests/browser_support.py, tests/ui/conftest.py).
    with serve_console(var, settings.DEMO_GUEST_DIR, extra_env={"VIRTCONSOLE_VNC_PORT_MIN": "5940",
                                                               "VIRTCONSOLE_VNC_PORT_MAX": "5959"}) as served:
        base_url, admin, password, _ = served
        try:
            context, page = sign_in(browser, base_url, admin, password)
            host_id = add_host_in_page(page, "system")
            hosts = f"/api/v1/hosts/{host_id}"
            pool = made(api(page, "POST", f"{hosts}/pools", {"name": pool_name, "type": "dir", "target": str(directory),
                                                             "build": True, "start": True}), "the pool")
            made(api(page, "POST", f"{hosts}/pools/{pool_name}/volumes",
                     {"name": "disk.qcow2", "capacity": 64 * 2**20, "format": "qcow2"}), "the volume")
            subnet = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
            network = made(api(page, "POST", f"{hosts}/networks", {
                "name": network_name, "forward": "none", "start": True,
                "ipv4": {"address": f"{subnet}.1", "prefix": 24,
                         "dhcp": {"start": f"{subnet}.10", "end": f"{subnet}.99"}}}), "the network")
            persona = f"ui-host-{tag}"
            served_manage(var, "shell", "-v", "0", "-c", MAKE_PERSONA.format(username=persona, password=PASSWORD))
            made(api(page, "POST", "/api/v1/grants", {"role": "Pool viewer", "user": persona, "pool": pool["id"]}),
                 "the pool grant")
            made(api(page, "POST", "/api/v1/grants", {"role": "Network user", "user": persona,
                                                      "network": network["id"]}), "the network grant")
            context.close()
            yield base_url, var, {"host": host_id, "pool": pool_name, "network": network_name, "persona": persona,
                                  "admin": admin, "admin_password": password}
        finally:
            remove_pool_and_network(pool_name, directory, network_name)


def starts(facts, persona):
    """The test's own pool and network pages first (the crawl checks the first page of each URL name it reaches),
    then the host's lists and the overview; the persona starts only where its grants lead (the rest it reaches by
    the links it is shown, or not at all)."""
    host, pool, network = facts["host"], facts["pool"], facts["network"]
    if persona != "admin":
        return [f"/hosts/{host}/pools/{pool}/", f"/hosts/{host}/pools/{pool}/volumes/",
                f"/hosts/{host}/networks/{network}/", "/hosts/", "/"]
    return [f"/hosts/{host}/pools/{pool}/", f"/hosts/{host}/pools/{pool}/volumes/", f"/hosts/{host}/pools/{pool}/xml/",
            f"/hosts/{host}/pools/{pool}/history/1/", f"/hosts/{host}/networks/{network}/",
            f"/hosts/{host}/networks/{network}/xml/", f"/hosts/{host}/pools/", f"/hosts/{host}/networks/",
            f"/hosts/{host}/daemon/", f"/hosts/{host}/new-pool/", f"/hosts/{host}/new-network/", "/hosts/", "/"]


def not_a_domain_page(path):
    """Domains on the shared system libvirtd come and go with other tests: their pages are not followed."""
    return not path.startswith("/domains/")


@pytest.mark.parametrize("persona", ["admin", "persona"])
def test_the_pool_network_and_daemon_pages_fit_read_and_offer_only_what_the_server_allows(browser, host_console,
                                                                                          persona):
    base_url, var, facts = host_console
    username, password = ((facts["admin"], facts["admin_password"]) if persona == "admin"
                          else (facts["persona"], PASSWORD))
    shots = None
    if os.environ.get("VC_UI_SHOTS"):
        shots = Path(os.environ["VC_UI_SHOTS"]) / f"host-{persona}"
        shots.mkdir(parents=True, exist_ok=True)
    problems, done_names = crawl(browser, base_url, var, username, password, starts(facts, persona), PAGES, shots,
                                 follow=not_a_domain_page)
    assert not problems, f"{persona} ({len(done_names)} pages):\n" + "\n".join(problems)
    assert {"pool-detail", "pool-volumes", "network-detail"} <= done_names, sorted(done_names)
    if persona == "admin":
        assert PAGES <= done_names, sorted(PAGES - done_names)
