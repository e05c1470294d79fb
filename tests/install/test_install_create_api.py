"""POST /api/v1/hosts/{id}/domains with an install source: checked first, made whole, nothing left on refusal."""

from lxml import etree

from domains.libvirt import adapter
from tests.install.conftest import domain_names, volumes_of


def create(client, host, **body):
    return client.post(f"/api/v1/hosts/{host.pk}/domains", body, format="json")


def definition_of(host, name):
    dom = adapter.connection_for(host).get().lookupByName(name)
    return etree.fromstring(dom.XMLDesc(0).encode())


def test_an_iso_install_attaches_the_medium_as_a_cdrom_booted_first(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="web1", os="debian11",
                    install={"kind": "iso", "volume": "images/media.iso"},
                    disks=[{"pool": "images"}], interfaces=[{"network": "lan"}])
    assert answer.status_code == 201, answer.json()
    assert answer.json()["install"]["volumes"] == ["images/web1-disk0.qcow2"]
    root = definition_of(lab_host, "web1")
    assert [boot.get("dev") for boot in root.iterfind("os/boot")] == ["cdrom", "hd"]
    cdrom = root.find("devices/disk[@device='cdrom']")
    assert cdrom.find("source").attrib == {"pool": "images", "volume": "media.iso"}
    assert cdrom.find("readonly") is not None
    disk = root.find("devices/disk[@device='disk']")
    assert disk.find("source").get("volume") == "web1-disk0.qcow2" and disk.find("target").get("dev") == "vda"
    assert root.find("devices/interface/source").get("network") == "lan"
    # Debian 11's recommended sizes: 1 GiB of memory, a 20 GiB disk.
    assert root.find("memory").text == str(1024 * 1024)
    vol = adapter.connection_for(lab_host).get().storagePoolLookupByName("images").storageVolLookupByName(
        "web1-disk0.qcow2")
    assert vol.info()[1] == 20 * 1024 ** 3


def test_a_network_install_boots_from_the_network_first(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="pxe1", install={"kind": "network"}, interfaces=[{"network": "lan"}],
                    memory_mib=256)
    assert answer.status_code == 201, answer.json()
    assert [boot.get("dev") for boot in definition_of(lab_host, "pxe1").iterfind("os/boot")] == ["network", "hd"]


def test_an_import_boots_the_existing_volume_with_its_format(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="old1", install={"kind": "import", "volume": "images/disk.qcow2"},
                    start=True)
    assert answer.status_code == 201, answer.json()
    disk = definition_of(lab_host, "old1").find("devices/disk")
    assert disk.find("source").get("volume") == "disk.qcow2" and disk.find("driver").get("type") == "qcow2"
    assert adapter.connection_for(lab_host).get().lookupByName("old1").isActive()


def test_a_cloud_image_linked_gets_an_overlay_of_its_own(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="cloud1",
                    install={"kind": "cloud-image", "volume": "images/disk.qcow2", "mode": "link"})
    assert answer.status_code == 201, answer.json()
    assert "cloud1-root.qcow2" in volumes_of(lab_host)
    assert definition_of(lab_host, "cloud1").find("devices/disk/source").get("volume") == "cloud1-root.qcow2"


def test_it_refuses_firmware_the_host_does_not_offer_and_leaves_nothing(lab_host, owner, api_as):
    before = volumes_of(lab_host), domain_names(lab_host)
    answer = create(api_as(owner), lab_host, name="efi1", firmware="uefi",
                    install={"kind": "iso", "volume": "images/media.iso"}, disks=[{"pool": "images"}])
    assert answer.status_code == 400
    assert "does not offer uefi firmware" in answer.json()["message"]
    assert (volumes_of(lab_host), domain_names(lab_host)) == before


def test_it_refuses_a_missing_medium_an_unknown_network_or_os_and_leaves_nothing(lab_host, owner, api_as):
    before = volumes_of(lab_host), domain_names(lab_host)
    client = api_as(owner)
    cases = [
        ({"install": {"kind": "iso", "volume": "images/nope.iso"}, "disks": [{"pool": "images"}]}, "no volume"),
        ({"install": {"kind": "iso", "volume": "images/media.iso"}, "disks": [{"pool": "images"}],
          "interfaces": [{"network": "wan"}]}, "no network 'wan'"),
        ({"install": {"kind": "network"}, "os": "beos5"}, "knows no operating system"),
        ({"install": {"kind": "floppy"}}, "not a valid choice"),
        ({"install": {"kind": "iso", "volume": "media.iso"}}, "pool/volume"),
        ({"install": {"kind": "network"}, "disks": [{"pool": "nopool"}]}, "no active pool 'nopool'"),
    ]
    for body, said in cases:
        answer = create(client, lab_host, name="bad1", **body)
        assert answer.status_code == 400, (body, answer.json())
        assert said in str(answer.json()).replace('"', "'"), answer.json()
    assert (volumes_of(lab_host), domain_names(lab_host)) == before


def test_it_refuses_a_name_the_host_has_and_a_volume_left_under_the_new_name(lab_host, owner, api_as):
    client = api_as(owner)
    assert create(client, lab_host, name="vm0000", install={"kind": "network"}).status_code == 400
    conn = adapter.connection_for(lab_host).get()
    conn.storagePoolLookupByName("images").createXML(
        "<volume><name>web2-disk0.qcow2</name><capacity>1024</capacity></volume>", 0)
    answer = create(client, lab_host, name="web2", install={"kind": "network"}, disks=[{"pool": "images"}])
    assert answer.status_code == 400 and "web2-disk0.qcow2" in answer.json()["message"]
    assert "web2" not in domain_names(lab_host)


def test_a_user_without_define_domains_is_refused(lab_host, outsider, api_as):
    answer = create(api_as(outsider), lab_host, name="x1", install={"kind": "network"})
    assert answer.status_code == 404


def test_the_xml_create_still_works_as_before(lab_host, owner, api_as):
    xml = "<domain type='test'><name>plain1</name><memory>65536</memory><os><type>hvm</type></os></domain>"
    answer = api_as(owner).post(f"/api/v1/hosts/{lab_host.pk}/domains", {"xml": xml}, format="json")
    assert answer.status_code == 201 and answer.json()["revision"]["number"] == 1
    assert api_as(owner).post(f"/api/v1/hosts/{lab_host.pk}/domains", {}, format="json").status_code == 400
