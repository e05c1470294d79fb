"""The audit log's anchor outside the database: truncation and rewritten ranges are caught by verify_audit."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from domains.access import audit, audit_anchor
from domains.access.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _entries(owner, count=5):
    return [audit.record(owner, f"a{index}") for index in range(count)]


def test_each_committed_entry_moves_the_signed_anchor_to_it(owner, audit_anchor_file, capsys):
    entries = _entries(owner)

    stored = json.loads(audit_anchor_file.read_text())
    assert (stored["entry_id"], stored["entry_hash"]) == (entries[-1].pk, entries[-1].hash)
    assert audit_anchor.read().signature == stored["signature"]
    call_command("verify_audit")
    assert "intact: 6 entries" in capsys.readouterr().out  # the owner's creation, then the five


def test_verify_audit_finds_the_newest_entries_removed(owner):
    entries = _entries(owner)
    _raw("DELETE FROM domains_auditentry WHERE id >= %s", [entries[3].pk])

    with pytest.raises(CommandError, match=f"(?i)entry {entries[4].pk}.*missing: entries were removed from the end"):
        call_command("verify_audit")


def test_a_new_entry_after_a_truncation_does_not_hide_it(owner):
    entries = _entries(owner)
    _raw("DELETE FROM domains_auditentry WHERE id >= %s", [entries[3].pk])

    audit.record(owner, "after the truncation")

    with pytest.raises(CommandError, match=f"(?i)entry {entries[4].pk}.*missing"):
        call_command("verify_audit")


def test_verify_audit_finds_a_range_rewritten_and_rehashed_to_the_end(owner):
    entries = _entries(owner)
    previous = entries[1].hash
    for entry in entries[2:]:
        forged = AuditEntry.objects.get(pk=entry.pk)
        forged.outcome = "forged"
        forged.prev_hash = previous
        previous = forged.compute_hash()
        _raw("UPDATE domains_auditentry SET outcome = %s, prev_hash = %s, hash = %s WHERE id = %s",
             ["forged", forged.prev_hash, previous, forged.pk])
    assert audit.verify_chain()[0] == 6  # the chain alone holds together (the owner's creation and the five)

    with pytest.raises(CommandError, match=f"(?i)entry {entries[4].pk} no longer has the hash anchored"):
        call_command("verify_audit")


def test_verify_audit_refuses_a_forged_or_missing_anchor(owner, audit_anchor_file):
    _entries(owner, 2)
    stored = json.loads(audit_anchor_file.read_text())
    audit_anchor_file.write_text(json.dumps({**stored, "entry_id": stored["entry_id"] - 1}))
    with pytest.raises(CommandError, match="wrong signature"):
        call_command("verify_audit")

    audit_anchor_file.unlink()
    with pytest.raises(CommandError, match="no audit anchor"):
        call_command("verify_audit")


def test_the_checkpoint_also_goes_to_the_log(owner, caplog):
    with caplog.at_level("INFO", logger="virtconsole.audit.anchor"):
        entry = audit.record(owner, "x")
    assert f"audit checkpoint entry={entry.pk} hash={entry.hash}" in caplog.text
