"""The QEMU extras card on the domain page: nothing for who may do nothing there, each link only for who may use it."""

import json
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from qemu_extras.views import monitor_reach

PANEL = Template("{% load qemu_extras_tags %}{% qemu_domain_panel domain facts %}")
TAINT = "tainted: custom monitor control commands issued"


@pytest.fixture
def vm(make_test_host):
    from domains.lifecycle import inventory

    host = make_test_host("qemuhost", domains=1)
    inventory.sync_host(host)
    return host.domains.get(name="vm0000")


def panel_for(user, domain, messages=()):
    request = RequestFactory().get("/")
    request.user = user
    facts = SimpleNamespace(messages=list(messages), active=True)
    return PANEL.render(Context({"request": request, "domain": domain, "facts": facts}))


@pytest.mark.parametrize("role", ["Viewer", "Console user", "Operator"])
def test_the_card_renders_nothing_for_a_user_without_a_qemu_permission(teammate, grant, vm, role):
    grant(role, domain=vm)
    assert panel_for(teammate, vm).strip() == ""


def test_a_user_without_a_qemu_permission_still_reads_the_taints_but_gets_no_extras_card(teammate, grant, vm):
    grant("Viewer", domain=vm)
    html = panel_for(teammate, vm, [TAINT])
    assert "custom monitor control commands issued" in html and "qemu-taints" in html
    assert "card qemu-extras" not in html and "Open the QEMU monitor" not in html and "QEMU passthrough" not in html


def test_a_power_user_gets_the_monitor_and_the_passthrough(teammate, grant, vm):
    grant("Power user", domain=vm)
    html = panel_for(teammate, vm)
    assert "Open the QEMU monitor" in html and f"/qemu/domains/{vm.uuid}/monitor/" in html
    assert "QEMU passthrough" in html


def test_the_monitor_page_offers_only_the_commands_the_policy_gives_the_user(teammate, grant, owner, vm):
    grant("Power user", domain=vm)
    reach = monitor_reach(teammate, vm)
    held = {level for level, _words, has in reach["levels"] if has}
    assert held == {"monitor_read", "monitor_write"} and reach["agent"] and not reach["everything"]
    assert "cont" in reach["commands"] and "device_del" not in reach["commands"] and "quit" not in reach["commands"]
    assert reach["prefixes"] == ["query-", "x-query-"]
    assert monitor_reach(owner, vm)["everything"]


def test_the_monitor_page_hides_the_guest_agent_from_who_may_not_use_it(client, teammate, define_role, grant, vm):
    define_role("Monitor reader", ["getattr", "read", "monitor_read"])
    grant("Monitor reader", domain=vm)
    client.force_login(teammate)
    html = client.get(f"/qemu/domains/{vm.uuid}/monitor/").content.decode()
    assert 'id="monitor-input"' in html and 'id="monitor-agent"' not in html
    # Typing waits for the socket: a command sent before it is open would go nowhere.
    assert re.search(r'id="monitor-input"[^>]*\sdisabled>', html) and 'id="monitor-send" disabled' in html
    sendable = json.loads(re.search(r'<script id="monitor-sendable" type="application/json">(.*?)</script>', html).group(1))
    assert not sendable["everything"] and "qom-get" in sendable["commands"] and "stop" not in sendable["commands"]
