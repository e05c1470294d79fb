"""Pool pages on a test:/// host: the list, one pool with its actions, the create form, the XML editor, history."""

from domains.libvirt import storage as libvirt_storage
from domains.storage.models import PoolRevision
from domains.storage.pools.actions import do_define_pool


def define(owner, host, tmp_path, name="paged", start=True):
    return do_define_pool(owner, host, fields={"name": name, "type": "dir", "target": str(tmp_path / name)},
                          start=start)


def test_the_host_page_lists_its_pools_with_their_space(as_user, owner, test_driver_host, tmp_path):
    define(owner, test_driver_host, tmp_path)

    page = as_user(owner).get(f"/hosts/{test_driver_host.pk}/pools/").content.decode()

    assert "paged" in page and "running" in page and "data-space-bar" in page and "Define a pool" in page


def test_the_pool_page_offers_the_actions_the_user_holds_as_post_forms(as_user, owner, test_driver_host, tmp_path):
    define(owner, test_driver_host, tmp_path)

    page = as_user(owner).get(f"/hosts/{test_driver_host.pk}/pools/paged/").content.decode()

    assert 'action="/hosts/{}/pools/paged/actions/refresh/"'.format(test_driver_host.pk) in page
    assert "csrfmiddlewaretoken" in page and "Undefine" in page and "Revision 1" in page


def test_a_pool_action_is_a_post_that_changes_the_pool(as_user, owner, test_driver_host, tmp_path):
    _, handle = define(owner, test_driver_host, tmp_path)
    client = as_user(owner)

    assert client.get(f"/hosts/{test_driver_host.pk}/pools/paged/actions/stop/").status_code == 405
    client.post(f"/hosts/{test_driver_host.pk}/pools/paged/actions/stop/")

    assert libvirt_storage.pool_live(handle)["state"] == "inactive"


def test_the_create_form_offers_the_hosts_types_and_defines_a_pool(as_user, owner, test_driver_host, tmp_path):
    client = as_user(owner)
    form = client.get(f"/hosts/{test_driver_host.pk}/new-pool/").content.decode()
    assert 'value="fs"' in form and 'data-source="device,format"' in form

    answer = client.post(f"/hosts/{test_driver_host.pk}/new-pool/",
                         {"pool_name": "formed", "type": "dir", "target": str(tmp_path / "formed"), "start": "on"})

    assert answer.status_code == 302 and answer["Location"].endswith("/pools/formed/")
    assert libvirt_storage.find_pool(test_driver_host, name="formed") is not None


def test_the_xml_editor_redefines_and_records_a_revision_with_its_diff(as_user, owner, test_driver_host, tmp_path):
    # Inactive: the test driver has no separate persistent definition of a running pool.
    row, handle = define(owner, test_driver_host, tmp_path, start=False)
    client = as_user(owner)
    xml = client.get(f"/hosts/{test_driver_host.pk}/pools/paged/xml/").context["xml"]

    client.post(f"/hosts/{test_driver_host.pk}/pools/paged/xml/",
                {"xml": xml.replace(str(tmp_path / "paged"), str(tmp_path / "elsewhere")), "reason": "moved"})

    assert PoolRevision.objects.of(row).count() == 2
    diff = client.get(f"/hosts/{test_driver_host.pk}/pools/paged/history/2/").content.decode()
    assert "elsewhere" in diff and "diff-add" in diff


def test_the_xml_editor_shows_a_refusal_and_changes_nothing(as_user, owner, test_driver_host, tmp_path):
    row, handle = define(owner, test_driver_host, tmp_path)

    page = as_user(owner).post(f"/hosts/{test_driver_host.pk}/pools/paged/xml/",
                               {"xml": "<pool type='dir'><name>paged</name><target><path>/etc</path></target></pool>"})

    assert "outside where host" in page.content.decode()
    assert PoolRevision.objects.of(row).count() == 1


def test_an_outsider_gets_404_on_every_pool_page(as_user, owner, outsider, test_driver_host, tmp_path):
    define(owner, test_driver_host, tmp_path)
    client = as_user(outsider)

    for url in ("pools/", "pools/paged/", "pools/paged/xml/", "new-pool/"):
        assert client.get(f"/hosts/{test_driver_host.pk}/{url}").status_code == 404, url


def test_every_storage_page_of_the_embedded_host_says_it_has_no_storage_driver(as_user, owner):
    from domains.hosts.models import Host

    # A raw row: the embedded host is made by the server itself (do_add_host refuses it), and no page below
    # opens it, since the embedded driver is refused before any connection.
    host = Host.objects.create(name="embedded", uri="qemu:///embed?root=/var/tmp/vct-never-opened", embedded=True)
    client = as_user(owner)
    listing = client.get(f"/hosts/{host.pk}/pools/")
    assert listing.status_code == 200 and "no storage driver" in listing.content.decode()
    isos = client.get(f"/hosts/{host.pk}/isos/")
    assert isos.status_code == 200 and "no storage driver" in isos.content.decode()
    for page in ("", "xml/", "access/", "volumes/", "history/1/"):
        answer = client.get(f"/hosts/{host.pk}/pools/default/{page}")
        assert answer.status_code == 404 and "no storage driver" in answer.content.decode(), page


def test_the_pool_page_offers_only_the_actions_that_change_something_and_asks_before_undefining(
        as_user, owner, test_driver_host, tmp_path):
    define(owner, test_driver_host, tmp_path)

    page = as_user(owner).get(f"/hosts/{test_driver_host.pk}/pools/paged/").content.decode()

    assert f'action="/hosts/{test_driver_host.pk}/pools/paged/actions/stop/"' in page
    assert f'action="/hosts/{test_driver_host.pk}/pools/paged/actions/start/"' not in page  # it runs already
    assert 'data-confirm="Stop and undefine pool paged?"' in page and "Its grants and history stay" in page
    assert "data-confirm-details=" in page
    assert any(unit in page for unit in ("\xa0KiB", "\xa0MiB", "\xa0GiB")), "sizes in binary units"
