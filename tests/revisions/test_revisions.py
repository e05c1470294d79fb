"""The one revision mechanism: numbers per subject without collisions, hash, author, diff, rollback."""

import threading

import pytest
from django.db import close_old_connections, transaction

from domains.daemon.models import DaemonRevisionReason, DaemonSettings, DaemonSettingsRevision
from domains.definitions.models import DefinitionRevision
from domains.hosts.models import Host
from domains.revisions.actions import do_record_revision, do_rollback
from domains.revisions.models import digest_of


def settings_of(name):
    # Bare rows: the revision mechanism is tested on its own, on subjects no daemon or libvirt stands behind.
    return DaemonSettings.objects.create(host=Host.objects.create(name=name, uri="test:///default"))


def record(subject, desired, user=None, **fields):
    with transaction.atomic():
        return do_record_revision(DaemonSettingsRevision, subject, user=user, desired=desired,
                                  reason=fields.pop("reason", DaemonRevisionReason.API), **fields)


@pytest.mark.django_db
def test_numbers_count_up_per_subject(owner):
    first, second = settings_of("one"), settings_of("two")

    numbers = [record(first, {"n": 1}).number, record(first, {"n": 2}).number, record(second, {"n": 1}).number]

    assert numbers == [1, 2, 1]
    assert first.revisions.latest_one().desired == {"n": 2}
    assert first.revisions.numbered(1).desired == {"n": 1}
    assert [r.number for r in first.revisions.newest_first()] == [2, 1]


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_the_change_s_transaction():
    with pytest.raises(RuntimeError, match="transaction"):
        do_record_revision(DaemonSettingsRevision, settings_of("one"), desired={}, reason="api")


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_to_one_subject_take_distinct_numbers():
    subject = settings_of("busy")
    problems = []

    def change(worker):
        try:
            for step in range(5):
                record(subject, {"worker": worker, "step": step})
        except Exception as exc:  # collected: the assertion below names it
            problems.append(repr(exc))
        finally:
            close_old_connections()

    workers = [threading.Thread(target=change, args=(worker,)) for worker in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert not problems
    assert sorted(subject.revisions.values_list("number", flat=True)) == list(range(1, 31))


@pytest.mark.django_db
def test_a_revision_knows_who_made_it_its_hash_and_its_diff_from_another(owner):
    subject = settings_of("one")
    old = record(subject, {"logging": {"filters": "3:rpc"}}, user=owner)
    new = record(subject, {"logging": {"filters": "1:qemu"}})

    assert (old.who, old.author_name, new.who) == ("alice", "alice", "the console")
    assert old.content_sha256 == digest_of(old.content_text()) and old.has_content(old.content_text())
    lines = [(line.kind, line.text.strip()) for line in old.diff_lines(new)]
    assert ("remove", '"filters": "3:rpc"') in lines and ("add", '"filters": "1:qemu"') in lines
    assert old.unified_diff(new).startswith("--- revision 1\n+++ revision 2")


@pytest.mark.django_db
def test_a_definition_revision_hashes_its_stored_xml(owner):
    # Bare rows, as in settings_of: the revision mechanism on its own.
    host = Host.objects.create(name="one", uri="test:///default")
    domain = host.domains.create(uuid="c7a5fdbd-cdaf-9455-926a-d65c16db1809", name="demo")
    xml = "<domain type='test'><name>demo</name></domain>"
    with transaction.atomic():
        revision = do_record_revision(DefinitionRevision, domain, user=owner, xml=xml, xml_sha256=digest_of(xml),
                                      source="console", name="demo")

    assert (revision.number, revision.who, revision.content_sha256) == (1, "alice", digest_of(xml))
    assert DefinitionRevision(domain=domain, number=2).who == "libvirt (outside the console)"


@pytest.mark.django_db
def test_rollback_goes_through_the_feature_s_action_and_refuses_another_subject_s_revision():
    mine, other = settings_of("one"), settings_of("two")
    old = record(mine, {"n": 1})
    restored = []

    result = do_rollback(old, mine, lambda revision, reason: restored.append((revision.number, reason)) or "done")

    assert result == "done" and restored == [(1, "Rollback to revision 1.")]
    with pytest.raises(ValueError, match="Revision 1 belongs to another daemon settings"):
        do_rollback(old, other, lambda revision, reason: pytest.fail("restored another subject's revision"))
