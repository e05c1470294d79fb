"""An event's database write that runs after its host was forgotten does nothing, and opens no connection again
(one reopened there heard every event of its daemon from then on, and nobody closed it)."""

import threading
import uuid

import pytest

from domains.definitions.actions import record_external
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db(transaction=True)


def on_a_worker_thread(function, *args):
    """Run function as the event writers do: on a thread of its own, with its own database connection."""
    thread = threading.Thread(target=function, args=args)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()


def test_a_stop_written_after_the_host_was_forgotten_opens_no_connection(make_test_host):
    host = make_test_host(domains=1, running={0})
    inventory.sync_host(host)
    row = Domain.objects.get(host=host)
    adapter.forget_host(host.pk)

    on_a_worker_thread(inventory._refresh_row, host.pk, row.uuid, row.name)
    on_a_worker_thread(record_external, host.pk, uuid.UUID(str(row.uuid)))

    assert adapter.health_of(host).state == adapter.DISCONNECTED
    assert not Domain.objects.get(pk=row.pk).gone  # no verdict without the host's connection
    assert not row.revisions.exists()
