"""The Snapshots page's Backups card on the test driver: shown with its forms to the owner, read-only to a viewer, and
a refused backup told on the page with nothing changed."""

import pytest

from domains.backups.models import Backup
from domains.jobs.models import Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@pytest.fixture
def domain(transactional_db, make_test_host):
    host = make_test_host("backuppages", domains=1, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


def test_the_card_offers_a_backup_to_the_owner_and_tells_a_refusal(client, owner, domain):
    client.force_login(owner)
    page = client.get(f"/domains/{domain.uuid}/snapshots/").content.decode()
    # The test host has no pool: instead of a button that could not work, the card says what is missing.
    assert 'id="backups"' in page and "No backups yet." in page and 'data-backup-offer="no-pool"' in page
    assert "Back up now" not in page
    assert client.get(f"/domains/{domain.uuid}/backups/").status_code == 200

    said = client.post(f"/domains/{domain.uuid}/backups/new/", {"kind": "full", "pool": ""}, follow=True)
    assert "No backup taken: Pick the pool the backup goes into." in said.content.decode()
    assert Job.objects.count() == 0 and Backup.objects.count() == 0


def test_a_viewer_sees_the_card_without_its_forms(client, teammate, grant, domain):
    grant("Viewer", to=teammate, domain=domain)
    client.force_login(teammate)
    page = client.get(f"/domains/{domain.uuid}/snapshots/").content.decode()
    assert 'id="backups"' in page and "Back up now" not in page and "data-backup-offer" not in page
    assert client.post(f"/domains/{domain.uuid}/backups/new/", {"kind": "full", "pool": "x"}).status_code == 403
