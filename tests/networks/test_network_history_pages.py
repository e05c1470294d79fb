"""The History section of a network's page on a test:/// host: revisions with who, when, how and why, the diff of
two, and the rollback button, offered to whoever may change the network and refused with its reason."""

from django.contrib.messages import get_messages

from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import do_define_network, do_update_network_xml
from domains.networks.models import NetworkRevision

LAB = {"name": "lab", "forward": "nat", "ipv4": {"address": "192.168.243.1", "prefix": 24}}


def page_url(host, *rest):
    return "/".join([f"/hosts/{host.pk}/networks/lab", *rest]) + "/"


def lab_edited(owner, host):
    """The lab network at revision 2 ("moved"): its address moved to 192.168.244.1."""
    row, handle = do_define_network(owner, host, fields=LAB, reason="first cut")
    xml = libvirt_networks.network_xml(handle).replace("192.168.243.", "192.168.244.")
    do_update_network_xml(owner, row, handle, xml, reason="moved")
    return row


def test_the_network_page_shows_its_history_with_who_how_and_why(as_user, owner, test_driver_host):
    lab_edited(owner, test_driver_host)

    page = as_user(owner).get(page_url(test_driver_host)).content.decode()

    history = page[page.index('id="history"'):]
    assert '<tr data-revision="2">' in history and '<tr data-revision="1">' in history
    assert "first cut" in history and "moved" in history and "alice" in history and "console" in history
    assert 'data-rollback="1"' in history and 'data-rollback="2"' not in history  # the newest is the current one
    assert f'action="/hosts/{test_driver_host.pk}/networks/lab/revisions/1/rollback/"' in history
    assert "data-confirm=\"Define revision 1 of network lab again?" in history


def test_two_revisions_picked_show_their_diff(as_user, owner, test_driver_host):
    lab_edited(owner, test_driver_host)

    page = as_user(owner).get(page_url(test_driver_host), {"from": 1, "to": 2}).content.decode()

    assert "Changes from revision 1 to revision 2" in page
    assert "<div class=\"remove\">-  &lt;ip address=&#x27;192.168.243.1&#x27;" in page
    assert "<div class=\"add\">+  &lt;ip address=&#x27;192.168.244.1&#x27;" in page


def test_the_rollback_button_defines_the_old_revision_and_says_what_changed(as_user, owner, test_driver_host):
    row = lab_edited(owner, test_driver_host)

    answer = as_user(owner).post(page_url(test_driver_host, "revisions", "1", "rollback"), {"reason": "undo"})

    assert answer.status_code == 302 and answer["Location"].endswith("/networks/lab/#history")
    newest = NetworkRevision.objects.of(row).latest_one()
    assert (newest.number, newest.source, newest.rollback_of, newest.reason) == (3, "rollback", 1, "undo")
    assert [str(m) for m in get_messages(answer.wsgi_request)] == [
        "Network 'lab' rolled back to revision 1: its definition is now revision 3. It takes this definition at its "
        "next start."]


def test_a_refused_rollback_says_why_and_changes_nothing(as_user, owner, test_driver_host):
    row = lab_edited(owner, test_driver_host)
    do_define_network(owner, test_driver_host, fields={**LAB, "name": "newcomer"})

    answer = as_user(owner).post(page_url(test_driver_host, "revisions", "1", "rollback"))

    message = [str(m) for m in get_messages(answer.wsgi_request)][0]
    assert message.startswith("Rollback to revision 1 refused: Revision 1 of network 'lab' cannot be restored: "
                              "The subnet 192.168.243.0/24 overlaps")
    assert NetworkRevision.objects.of(row).latest_one().number == 2


def test_a_network_user_sees_the_history_without_rollback_buttons_and_may_not_post_one(as_user, owner, teammate,
                                                                                      grant, test_driver_host):
    row = lab_edited(owner, test_driver_host)
    grant("Network user", network=row)
    client = as_user(teammate)

    page = client.get(page_url(test_driver_host)).content.decode()
    refused = client.post(page_url(test_driver_host, "revisions", "1", "rollback"))

    assert 'id="history"' in page and "data-rollback" not in page
    assert refused.status_code == 403
    assert NetworkRevision.objects.of(row).latest_one().number == 2


def test_a_missing_revision_is_said_on_the_page(as_user, owner, test_driver_host):
    lab_edited(owner, test_driver_host)

    answer = as_user(owner).post(page_url(test_driver_host, "revisions", "9", "rollback"))

    assert [str(m) for m in get_messages(answer.wsgi_request)] == [
        "Rollback to revision 9 refused: Network 'lab' has no revision 9: pick one from its history."]
