"""The audit log: entries chain by hash, secrets are redacted, tampering is found by verify_audit."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from domains.access import audit
from domains.access.models import GENESIS_HASH, AuditEntry


def test_it_chains_each_entry_to_the_previous_one(owner):
    oldest = AuditEntry.objects.earliest("id")  # the owner's creation
    first = audit.record(owner, "domain.start", None, {"a": 1}, source_address="10.0.0.1")
    second = audit.record(owner, "domain.stop")
    assert oldest.prev_hash == GENESIS_HASH
    assert first.prev_hash == oldest.hash
    assert second.prev_hash == first.hash
    assert AuditEntry.objects.get(pk=first.pk).compute_hash() == first.hash
    assert audit.verify_chain() == (3, None)


def test_it_redacts_secret_parameters_at_any_depth(owner):
    entry = audit.record(owner, "domain.set_password", None, {
        "password": "hunter2", "vncPassword": "x", "api_key": "k", "nested": {"passphrase": "p", "token": "t"},
        "keys": ["ctrl", "alt", "del"], "keep_nvram": True, "list": [{"secret": "s"}],
    })
    stored = AuditEntry.objects.get(pk=entry.pk).parameters
    assert stored == {
        "password": "[redacted]", "vncPassword": "[redacted]", "api_key": "[redacted]",
        "nested": {"passphrase": "[redacted]", "token": "[redacted]"},
        "keys": ["ctrl", "alt", "del"], "keep_nvram": True, "list": [{"secret": "[redacted]"}],
    }


def test_it_records_target_actor_and_outcome(owner, make_test_host):
    host = make_test_host("h1", domains=1)
    entry = AuditEntry.objects.get(pk=audit.record(owner, "host.update", host, outcome="denied").pk)
    assert (entry.actor_name, entry.actor, entry.target_type, entry.target_id, entry.target_label, entry.outcome) == (
        "alice", owner, "host", str(host.pk), "h1", "denied")
    assert audit.record(None, "inventory.sync").actor_name == "system"
    assert audit.record("eve", "login.failed").actor_name == "eve"


def test_it_refuses_to_change_or_delete_entries(owner):
    entry = audit.record(owner, "x")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.update(outcome="ok")


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_audit_reports_an_intact_log(owner, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the anchor is written once an entry is committed
        for index in range(5):
            audit.record(owner, f"a{index}")
    call_command("verify_audit")
    assert "intact: 6 entries" in capsys.readouterr().out  # the owner's creation, then the five


def test_verify_audit_finds_an_edited_entry(owner):
    entries = [audit.record(owner, f"a{index}") for index in range(5)]
    _raw("UPDATE domains_auditentry SET outcome = %s WHERE id = %s", ["ok, honestly", entries[2].pk])
    with pytest.raises(CommandError, match=f"broken at entry {entries[2].pk}: its content"):
        call_command("verify_audit")


def test_verify_audit_finds_an_edited_entry_whose_hash_was_recomputed(owner):
    entries = [audit.record(owner, f"a{index}") for index in range(5)]
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.outcome = "forged"
    _raw("UPDATE domains_auditentry SET outcome = %s, hash = %s WHERE id = %s",
         ["forged", forged.compute_hash(), forged.pk])
    with pytest.raises(CommandError, match=f"broken at entry {entries[2].pk}: its prev_hash"):
        call_command("verify_audit")


def test_verify_audit_finds_a_removed_entry(owner):
    entries = [audit.record(owner, f"a{index}") for index in range(5)]
    _raw("DELETE FROM domains_auditentry WHERE id = %s", [entries[3].pk])
    with pytest.raises(CommandError, match=f"broken at entry {entries[4].pk}"):
        call_command("verify_audit")


def test_refused_lifecycle_actions_are_audited(teammate, make_test_host, grant):
    from domains.access.permissions import PermissionDenied
    from domains.lifecycle import inventory
    from domains.lifecycle.actions import do_domain_action
    from domains.lifecycle.models import Domain

    host = make_test_host("h2", domains=1)
    inventory.sync_host(host)
    row = Domain.objects.get(host=host, name="vm0000")
    grant("Viewer", domain=row)
    with pytest.raises(PermissionDenied):
        do_domain_action(teammate, row, "start", {}, "192.0.2.9")
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.outcome, entry.source_address, entry.target_id) == (
        "domain.start", "denied", "192.0.2.9", str(row.pk))
