"""A monitor or agent command holding a NUL character is refused with a 400 and audited (it was a 500 on every database)."""

import pytest

from domains.access.models import AuditEntry
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.qemu_extras.conftest import api_client, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def vm(make_test_host):
    host = make_test_host("nulhost", domains=1, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


# HMP text would reach libvirt cut at the NUL; agent commands are JSON, where a raw NUL is not valid.
@pytest.mark.parametrize("route, body, refusal", [
    ("monitor", {"command": "info status\x00; quit", "hmp": True}, "holds a NUL character"),
    ("agent", {"command": '{"execute": "guest-ping\x00"}'}, "not valid JSON"),
])
def test_a_command_holding_a_nul_character_is_refused_and_the_refusal_audited(owner, vm, route, body, refusal):
    answer = post_json(api_client(owner), f"/api/qemu/v1/domains/{vm.uuid}/{route}", body)

    assert answer.status_code == 400 and refusal in answer.json()["message"], answer.content
    entries = list(AuditEntry.objects.filter(action=f"qemu.{route}").values_list("outcome", "parameters"))
    assert len(entries) == 1 and entries[0][0].startswith(("refused", "invalid")), entries
    assert "\u2400" in entries[0][1]["command"]
