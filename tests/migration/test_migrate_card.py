"""The domain page's Migrate card on the test driver: who sees it, and which hosts it offers as destinations."""

import pytest

from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hosts(make_test_host):
    source, other = make_test_host("card-source", domains=1, running=(0,)), make_test_host("card-other", domains=1)
    inventory.sync_host(source)
    return {"source": source, "other": other, "domain": Domain.objects.get(host=source, name="vm0000")}


def page_of(client, domain):
    answer = client.get(f"/domains/{domain.uuid}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_owner_sees_the_card_offering_the_other_host_only(client, owner, hosts):
    client.force_login(owner)

    page = page_of(client, hosts["domain"])

    assert 'id="migrate"' in page
    assert f'<option value="{hosts["other"].pk}">card-other' in page
    assert f'<option value="{hosts["source"].pk}">' not in page
    assert "Moves the running guest to another host while it runs" in page


def test_a_teammate_without_migrate_sees_no_card(client, teammate, grant, hosts):
    grant("Power user", to=teammate, domain=hosts["domain"])
    client.force_login(teammate)

    assert 'id="migrate"' not in page_of(client, hosts["domain"])


def test_a_teammate_who_may_migrate_but_define_nowhere_is_told_so(client, teammate, grant, hosts):
    grant("Administrator", to=teammate, domain=hosts["domain"])
    client.force_login(teammate)

    page = page_of(client, hosts["domain"])

    assert 'id="migrate"' in page and "No other host you may define and start domains on" in page
