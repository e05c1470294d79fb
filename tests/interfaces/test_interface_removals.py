"""A live removal left pending settles when libvirt's DEVICE_REMOVED (or DEVICE_REMOVAL_FAILED) event arrives,
whether the event comes after the request handed the removal over or while its detach call was still running."""

from domains.access import audit
from domains.access.models import AuditEntry
from domains.interfaces import removals
from tests.conftest import wait_for


def event(domain, kind, alias):
    return {"type": kind, "host": domain.host_id, "uuid": str(domain.uuid), "name": domain.name, "device": alias}


def outcomes():
    return list(AuditEntry.objects.filter(action="domain.interface_remove").order_by("pk")
                .values_list("outcome", flat=True))


def test_a_pending_removal_is_settled_by_the_device_removed_event(transactional_db, owner, lab):
    domain = lab["running"]
    intent = audit.record_intent(owner, "domain.interface_remove", domain, {"mac": "52:54:00:00:00:02"})
    removals.watch(domain, "net0")
    removals.expect(domain, "net0", "52:54:00:00:00:02", owner, intent)
    assert removals.pending_devices(domain) == {"net0"}

    removals.on_event(event(domain, removals.REMOVED, "net0"))

    wait_for(lambda: outcomes() == ["started", "ok"])
    assert removals.pending_devices(domain) == set()


def test_an_event_that_beats_the_detach_call_is_written_when_the_request_hands_over(transactional_db, owner, lab):
    domain = lab["running"]
    intent = audit.record_intent(owner, "domain.interface_remove", domain, {})
    removals.watch(domain, "net1")

    removals.on_event(event(domain, removals.REMOVAL_FAILED, "net1"))
    assert outcomes() == ["started"]
    removals.expect(domain, "net1", "52:54:00:00:00:03", owner, intent)

    assert outcomes()[-1].startswith("failed: the guest refused")
    assert removals.pending_devices(domain) == set()


def test_events_of_devices_nobody_removed_through_the_console_are_ignored(transactional_db, owner, lab):
    removals.on_event(event(lab["running"], removals.REMOVED, "net7"))

    assert outcomes() == []
