"""The console pages as the server renders them: the domain's tabs, the switch between the two consoles, the Start
button, and what the page's script is told (whether the domain runs, its words)."""

import json
import re

import pytest

from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@pytest.fixture
def lab(transactional_db, make_test_host):
    """{"running", "stopped"}: two domains of a test:/// host, vm0000 running and vm0001 shut off."""
    host = make_test_host("consoles", domains=2, running=(0,))
    inventory.sync_host(host)
    return {"running": Domain.objects.get(host=host, name="vm0000"),
            "stopped": Domain.objects.get(host=host, name="vm0001")}


def page(client, domain, kind):
    answer = client.get(f"/domains/{domain.uuid}/console/{kind}/")
    assert answer.status_code == 200
    return answer.content.decode()


def words(body):
    return json.loads(re.search(r'<script id="console-words" type="application/json">(.*?)</script>', body,
                                re.S).group(1))


def test_both_pages_show_the_domain_tabs_with_console_current_and_the_switch(client, owner, lab):
    client.force_login(owner)
    domain = lab["running"]
    for kind, current in (("vnc", "Screen"), ("serial", "Serial")):
        body = page(client, domain, kind)
        assert re.search(r'class="nav-link text-nowrap active" aria-current="page" href="[^"]+">Console<', body)
        assert f'href="/domains/{domain.uuid}/console/vnc/"' in body
        assert f'href="/domains/{domain.uuid}/console/serial/"' in body
        assert re.search(rf'active" aria-current="page" href="[^"]+"><i [^>]+></i> {current}<', body)


def test_the_switch_offers_only_the_console_the_user_may_open(client, teammate, grant, define_role, lab):
    domain = lab["running"]
    grant(define_role("Serial only", ["getattr", "read", "open_device"]).name, domain=domain)
    client.force_login(teammate)
    body = page(client, domain, "serial")
    assert "/console/vnc/" not in body and ">Screen<" not in body
    assert client.get(f"/domains/{domain.uuid}/console/vnc/").status_code == 403


def test_a_running_domain_page_connects_and_offers_no_start(client, owner, lab):
    client.force_login(owner)
    body = page(client, lab["running"], "vnc")
    assert 'data-running="true"' in body
    assert re.search(r'data-action="start" hidden', body)
    assert words(body)["connected"] == "connected"


def test_a_stopped_domain_page_says_so_and_offers_start_to_who_may(client, owner, teammate, grant, lab):
    domain = lab["stopped"]
    client.force_login(owner)
    body = page(client, domain, "vnc")
    assert 'data-running="false"' in body
    assert "&#x27;vm0001&#x27; is not running: start it to use its screen." in body
    assert re.search(r'data-action="start">', body)

    grant("Console user", domain=domain)
    client.force_login(teammate)
    body = page(client, domain, "serial")
    assert 'data-action="start"' not in body
    assert "is not running; its serial console opens here once it is started." in body
    assert 'data-action="takeover"' not in body  # taking over needs console_takeover


def test_the_screen_page_offers_the_key_combinations(client, owner, lab):
    client.force_login(owner)
    body = page(client, lab["running"], "vnc")
    offered = re.findall(r'data-keys="([^"]+)"', body)
    assert offered == ["ctrl-alt-del", "ctrl-alt-backspace"] + [f"ctrl-alt-f{n}" for n in range(1, 13)]


def test_the_pages_no_longer_link_the_live_stylesheet(client, owner, lab):
    client.force_login(owner)
    for kind in ("vnc", "serial"):
        body = page(client, lab["running"], kind)
        assert "live.css" not in body and "css/consoles.css" in body
