"""Whatever a request held, its audit entry is written the same way on PostgreSQL as on SQLite (PostgreSQL answered 500).

PostgreSQL stores no NUL character and no string longer than its column, where SQLite stored both.
"""

import pytest

from domains.access import audit
from domains.access.models import AuditEntry

pytestmark = pytest.mark.django_db

LONG_PATH = "/api/v1/hosts/1/pools/" + "p" * 120


def test_an_entry_holding_a_nul_character_is_recorded_with_symbol_for_null_in_its_place(owner):
    audit.record(owner, "host.add", None, {"name": "a\x00b", "nested": [{"k\x00": "v\x00"}]},
                 outcome="refused: 'a\x00b'", label="x\x00y")

    entry = AuditEntry.objects.get(action="host.add")
    assert entry.parameters == {"name": "a\u2400b", "nested": [{"k\u2400": "v\u2400"}]}
    assert (entry.outcome, entry.target_label) == ("refused: 'a\u2400b'", "x\u2400y")
    assert entry.hash == entry.compute_hash()


def test_a_404_for_a_path_longer_than_the_action_column_is_audited_with_the_whole_path_kept(client, teammate):
    client.force_login(teammate)

    assert client.get(LONG_PATH).status_code == 404

    entry = AuditEntry.objects.get(outcome=audit.NOT_FOUND)
    assert len(entry.action) == audit.ACTION_LENGTH and entry.action.startswith("refused GET /api/v1/hosts/1/")
    assert entry.parameters["action"] == f"refused GET {LONG_PATH}"


def test_a_404_for_a_path_holding_a_nul_character_is_audited(client, teammate):
    client.force_login(teammate)

    assert client.get("/api/v1/hosts/1/pools/a%00b").status_code == 404

    assert AuditEntry.objects.get(outcome=audit.NOT_FOUND).action == "refused GET /api/v1/hosts/1/pools/a\u2400b"


@pytest.mark.parametrize("host", ["99999999999999999999999", "9223372036854775808"])
def test_the_log_filtered_by_a_host_id_past_the_largest_finds_nothing(client, owner, host):
    client.force_login(owner)

    answer = client.get(f"/api/v1/audit?host={host}")

    assert answer.status_code == 200 and answer.json()["results"] == []


def test_the_log_refuses_a_host_filter_of_other_digits_than_ascii_ones(client, owner):
    client.force_login(owner)

    answer = client.get("/api/v1/audit?host=%C2%B2")  # "²": a digit to str.isdigit, not a number to int()

    assert answer.status_code == 400 and answer.json()["fields"]["host"]
