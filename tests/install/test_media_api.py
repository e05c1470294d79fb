"""POST /api/v1/domains/{uuid}/media: insert, change or eject a medium; refusals name the drive or volume."""

from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.install.test_install_create_api import create


def iso_domain(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="med1", install={"kind": "iso", "volume": "images/media.iso"},
                    disks=[{"pool": "images", "size_gib": 1}])
    assert answer.status_code == 201, answer.json()
    inventory.sync_host(lab_host)
    return Domain.objects.get(host=lab_host, name="med1")


def media(client, domain, **body):
    return client.post(f"/api/v1/domains/{domain.uuid}/media", body, format="json")


def test_it_refuses_a_drive_the_domain_lacks_a_fixed_disk_and_a_missing_volume(lab_host, owner, api_as):
    domain = iso_domain(lab_host, owner, api_as)
    client = api_as(owner)
    answer = media(client, domain, device="hdz", volume=None)
    assert answer.status_code == 404 and answer.json()["code"] == "no_drive"
    answer = media(client, domain, device="vda", volume=None)
    assert answer.status_code == 400 and "not a removable drive" in answer.json()["message"]
    answer = media(client, domain, device="hdc", volume="images/nope.iso")
    assert answer.status_code == 404 and answer.json()["code"] == "no_volume"
    answer = media(client, domain, device="hdc", volume="nope.iso")
    assert answer.status_code == 400 and "pool/volume" in answer.json()["message"]


def test_an_outsider_cannot_change_media(lab_host, owner, outsider, api_as):
    domain = iso_domain(lab_host, owner, api_as)
    assert media(api_as(outsider), domain, device="hdc", volume=None).status_code == 404
