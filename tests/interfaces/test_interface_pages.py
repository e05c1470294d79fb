"""The domain page's Interfaces card on a test:/// host: the table with addresses and their source, the add form and
its refusals, row actions, who sees which forms, CSRF."""

from django.test import Client

from domains.access.models import AuditEntry
from domains.libvirt import adapter
from tests.interfaces.conftest import RUNNING_MAC, STOPPED_MAC


def page_of(domain):
    return f"/domains/{domain.uuid}/"


def card_url(domain, *rest):
    return "/".join([f"/domains/{domain.uuid}/interfaces", *rest]) + "/"


def defined_xml(domain):
    conn = adapter.connection_for(domain.host).get()
    return conn.lookupByUUIDString(str(domain.uuid)).XMLDesc(0)


ADD = {"type": "network", "network": "lab", "model": "virtio", "mac": "", "filter": "",
       "inbound_average": "", "inbound_peak": "", "inbound_burst": "",
       "outbound_average": "", "outbound_peak": "", "outbound_burst": ""}


def test_the_card_lists_a_running_domains_interface_with_its_address_and_where_it_came_from(as_user, owner, lab):
    page = as_user(owner).get(page_of(lab["running"])).content.decode()

    assert 'id="interfaces"' in page and f'data-mac="{RUNNING_MAC}"' in page
    assert f'href="/hosts/{lab["host"].pk}/networks/lab/">lab</a>' in page  # the owner may see the network
    assert 'data-address-source="lease">DHCP lease</small>' in page
    assert "virtio" in page and 'data-field="link"' in page and "Pull the link" in page


def test_the_table_alone_is_read_again_for_the_page_to_swap_in(as_user, owner, lab):
    answer = as_user(owner).get(card_url(lab["running"]))

    assert answer.status_code == 200
    body = answer.content.decode()
    assert 'class="table table-sm align-middle interfaces"' in body
    assert RUNNING_MAC in body and "DHCP lease" in body and "<html" not in body


def test_the_add_form_adds_an_interface_with_bandwidth_to_a_stopped_domain(as_user, owner, lab):
    client = as_user(owner)

    answer = client.post(card_url(lab["stopped"], "add"), {**ADD, "mac": "52:54:00:aa:00:07", "model": "e1000",
                                                           "inbound_average": "1000", "inbound_peak": "2000"})

    assert answer.status_code == 302 and answer["Location"] == page_of(lab["stopped"]) + "#interfaces"
    xml = defined_xml(lab["stopped"])
    assert "52:54:00:aa:00:07" in xml and "<model type='e1000'/>" in xml and "average='1000'" in xml
    page = client.get(answer["Location"]).content.decode()
    assert "Interface 52:54:00:aa:00:07 added to the definition." in page
    assert 'data-mac="52:54:00:aa:00:07"' in page and "inbound 1000 KiB/s" in page


def test_a_duplicate_mac_is_refused_with_what_was_typed_kept(as_user, owner, lab):
    before = defined_xml(lab["stopped"])

    answer = as_user(owner).post(card_url(lab["stopped"], "add"), {**ADD, "mac": RUNNING_MAC, "model": "e1000",
                                                                   "outbound_average": "300"})

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "The interface was not added: MAC 52:54:00:00:00:02 is already used by domain &#x27;vm2&#x27;" in page
    assert f'name="mac" value="{RUNNING_MAC}"' in page and 'data-field-error="mac"' in page
    assert '<option value="e1000" selected>' in page and 'name="outbound_average" value="300"' in page
    assert '<details class="interface-add mt-2" open>' in page
    assert defined_xml(lab["stopped"]) == before


def test_a_bad_bandwidth_is_refused_before_anything_changes(as_user, owner, lab):
    before = defined_xml(lab["stopped"])

    answer = as_user(owner).post(card_url(lab["stopped"], "add"), {**ADD, "inbound_peak": "fast"})

    assert answer.status_code == 400
    assert 'data-field-error="inbound_peak"' in answer.content.decode()
    assert defined_xml(lab["stopped"]) == before


def test_row_actions_pull_the_link_change_the_model_and_remove_an_interface(as_user, owner, lab):
    client = as_user(owner)
    stopped = lab["stopped"]

    client.post(card_url(stopped, STOPPED_MAC, "change"), {"link": "down"})
    assert "<link state='down'/>" in defined_xml(stopped)
    client.post(card_url(stopped, STOPPED_MAC, "change"), {"model": "rtl8139", "filter": "",
                                                           **{key: "" for key in ADD if "_" in key}})
    assert "<model type='rtl8139'/>" in defined_xml(stopped)
    same = client.post(card_url(stopped, STOPPED_MAC, "change"), {"model": "rtl8139"}, follow=True)
    assert "already is as asked" in same.content.decode()

    removed = client.post(card_url(stopped, STOPPED_MAC, "remove"), follow=True).content.decode()

    assert f"Interface {STOPPED_MAC} removed from the definition." in removed
    assert STOPPED_MAC not in defined_xml(stopped)
    outcomes = AuditEntry.objects.filter(action="domain.interface_remove").order_by("pk")
    assert list(outcomes.values_list("outcome", flat=True)) == ["started", "ok"]


def test_the_remove_button_asks_first_naming_the_mac_and_source(as_user, owner, lab):
    page = as_user(owner).get(page_of(lab["stopped"])).content.decode()

    assert f'data-confirm="Remove interface {STOPPED_MAC} (network lab) from vm1?"' in page


def test_a_power_user_may_add_on_a_network_but_is_not_offered_bridges_and_is_refused_one(as_user, teammate, grant,
                                                                                       lab):
    grant("Power user", to=teammate, domain=lab["stopped"])
    client = as_user(teammate)
    before = defined_xml(lab["stopped"])

    page = client.get(page_of(lab["stopped"])).content.decode()
    refused = client.post(card_url(lab["stopped"], "add"), {**ADD, "type": "bridge", "bridge": "br0"})

    assert "Add an interface" in page and 'value="bridge"' not in page and 'value="direct"' not in page
    assert refused.status_code == 400
    assert "The interface was not added:" in refused.content.decode()
    assert "host_resources" in refused.content.decode() or "host network device" in refused.content.decode()
    assert defined_xml(lab["stopped"]) == before


def test_the_add_form_offers_only_the_networks_she_may_plug_into(as_user, teammate, grant, lab):
    from domains.networks.inventory import sync_networks

    grant("Power user", to=teammate, domain=lab["stopped"])
    pick = '<option value="lab">'
    client = as_user(teammate)
    page = client.get(page_of(lab["stopped"])).content.decode()
    assert pick not in page and "ask an administrator for a grant on one" in page  # a domain grant plugs no port

    network = next(row for row, _handle in sync_networks(lab["host"]) if row.name == "lab")
    grant("Network user", to=teammate, network=network)

    assert pick in client.get(page_of(lab["stopped"])).content.decode()


def test_a_viewer_sees_the_interfaces_but_no_forms_and_may_not_post(as_user, teammate, grant, lab):
    grant("Viewer", to=teammate, domain=lab["running"])
    client = as_user(teammate)

    page = client.get(page_of(lab["running"])).content.decode()

    assert f'data-mac="{RUNNING_MAC}"' in page and "DHCP lease" in page
    assert "Add an interface" not in page and "/interfaces/" + RUNNING_MAC not in page and "Pull the link" not in page
    assert f'href="/hosts/{lab["host"].pk}/networks/lab/"' not in page  # the network is not shown to her
    assert client.post(card_url(lab["running"], RUNNING_MAC, "change"), {"link": "down"}).status_code == 403
    assert client.post(card_url(lab["running"], "add"), ADD).status_code == 403


def test_an_outsider_gets_404_for_the_card_and_its_forms(as_user, outsider, lab):
    client = as_user(outsider)

    assert client.get(card_url(lab["stopped"])).status_code == 404
    assert client.post(card_url(lab["stopped"], "add"), ADD).status_code == 404
    assert client.post(card_url(lab["stopped"], STOPPED_MAC, "remove")).status_code == 404
    assert STOPPED_MAC in defined_xml(lab["stopped"])


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(owner, lab):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = defined_xml(lab["stopped"])

    assert client.post(card_url(lab["stopped"], "add"), ADD).status_code == 403
    assert client.post(card_url(lab["stopped"], STOPPED_MAC, "remove")).status_code == 403
    assert defined_xml(lab["stopped"]) == before
