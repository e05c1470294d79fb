"""Network filter pages on a test:/// host (libvirt's test driver has no nwfilter driver): the pages say so instead
of failing, check a new filter's XML before asking libvirt, and answer who may not see or define filters as the API
does. tests/networks/test_nwfilter_pages_system.py has the real list, view and define."""

import pytest

from domains.access.models import AuditEntry
from domains.lifecycle import inventory
from domains.networks.actions import do_define_network


def url(host, *rest):
    return "/".join([f"/hosts/{host.pk}", *rest]) + "/"


@pytest.fixture
def vm(test_driver_host):
    inventory.sync_host(test_driver_host)
    return test_driver_host.domains.get(name="vm0000")


def test_the_networks_page_links_the_filters_for_whoever_may_list_them(as_user, owner, teammate, grant,
                                                                       test_driver_host):
    lab, _ = do_define_network(owner, test_driver_host, fields={"name": "lab", "forward": "none"})
    grant("Network user", network=lab)

    mine = as_user(owner).get(url(test_driver_host, "networks")).content.decode()
    hers = as_user(teammate).get(url(test_driver_host, "networks")).content.decode()

    assert f'href="{url(test_driver_host, "nwfilters")}"' in mine
    assert "nwfilters" not in hers


def test_a_host_without_a_filter_driver_is_said_on_the_list_and_the_filter_page(as_user, owner, test_driver_host):
    client = as_user(owner)

    listing = client.get(url(test_driver_host, "nwfilters"))
    one = client.get(url(test_driver_host, "nwfilters", "clean-traffic"))

    said = "has no network filter driver"
    assert listing.status_code == 200 and said in listing.content.decode()
    assert one.status_code == 409 and said in one.content.decode()


def test_the_define_form_checks_the_xml_first_and_keeps_what_was_typed(as_user, owner, test_driver_host):
    client = as_user(owner)
    typed = "<filter name='netfin-web'><rule action='sideways' direction='in'/></filter>"

    form = client.get(url(test_driver_host, "new-nwfilter")).content.decode()
    refused = client.post(url(test_driver_host, "new-nwfilter"), {"xml": typed})

    assert 'id="nwfilter-xml" name="xml"' in form and "<textarea" in form and "clean-traffic" in form
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "does not follow libvirt&#x27;s nwfilter schema" in page and "sideways" in page
    assert AuditEntry.objects.filter(action="nwfilter.define", outcome__startswith="refused").exists()


def test_a_bad_filter_name_is_refused_with_what_to_use(as_user, owner, test_driver_host):
    refused = as_user(owner).post(url(test_driver_host, "new-nwfilter"), {"xml": "<filter name='../x'/>"})

    assert refused.status_code == 400 and "is not a usable filter name" in refused.content.decode()


def test_filters_are_host_level_a_domain_user_is_told_and_a_stranger_sees_nothing(as_user, teammate, outsider,
                                                                                  grant, vm, test_driver_host):
    grant("Power user", domain=vm)
    client = as_user(teammate)

    listing = client.get(url(test_driver_host, "nwfilters"))
    define = client.post(url(test_driver_host, "new-nwfilter"), {"xml": "<filter name='x'/>"})

    assert listing.status_code == 403 and "nwfilter.getattr" in listing.content.decode()
    assert define.status_code == 403 and "nwfilter.write" in define.content.decode()
    stranger = as_user(outsider)
    assert stranger.get(url(test_driver_host, "nwfilters")).status_code == 404
    assert stranger.get(url(test_driver_host, "nwfilters", "clean-traffic")).status_code == 404
