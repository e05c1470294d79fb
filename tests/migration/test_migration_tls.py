"""The libvirtd pair over TLS: hosts added as qemu+tls:// connect, the demo guest migrates live with native TLS
there and back, and a TLS migration the destination cannot do fails before anything moves."""

import os
import shutil
from pathlib import Path

import pytest

from domains.hosts.actions import do_add_host
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.libvirt import migration as libvirt_migration
from domains.lifecycle.models import Domain
from tests.libvirt_support import wait_for_job
from tests.migration.conftest import SECOND_TLS_URI, serial_answers
from tests.migration.test_migration_system import migrate, migrated, running_on, start, start_booted

pytestmark = [pytest.mark.system, pytest.mark.two_hosts]

QEMU_SERVER_KEY = Path("/etc/pki/qemu/server-key.pem")


def test_hosts_added_over_tls_connect_to_each_libvirtd(owner, libvirtd_pair, transactional_db):
    hosts = [do_add_host(owner, name, uri) for name, uri in
             (("second-tls", SECOND_TLS_URI), ("first-tls", "qemu+tls://127.0.0.1/system"))]
    try:
        conns = [adapter.connection_for(host).get() for host in hosts]
        uuids = {libvirt_migration.host_uuid(conn) for conn in conns}
        assert libvirt_migration.host_uuid(conns[0]) == "5ec0d000-0000-4000-8000-000000000002"
        assert len(uuids) == 2
        assert all(libvirt_migration.driver_type(conn) == "QEMU" for conn in conns)
    finally:
        for host in hosts:
            adapter.forget_host(host.pk)


def test_the_guest_moves_live_with_tls_there_and_back_and_answers_on_each_side(owner, tls_pair):
    first_conn, second_conn = tls_pair["conns"]
    domain = tls_pair["guest"](shared=True)
    start_booted(first_conn, domain)

    job = migrated(owner, domain, tls_pair["second"], tls=True, unsafe=True, undefine_source=True)

    assert job.params["tls"] is True and job.result["live"]
    assert running_on(second_conn, domain) and not running_on(first_conn, domain)
    assert Domain.objects.get(pk=domain.pk).host_id == tls_pair["second"].pk
    assert serial_answers(second_conn, domain.name)

    # Back peer-to-peer: the second libvirtd itself reaches the first over qemu+tls://.
    migrated(owner, Domain.objects.get(pk=domain.pk), tls_pair["first"], tls=True, peer_to_peer=True, unsafe=True,
             undefine_source=True)

    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
    assert Domain.objects.get(pk=domain.pk).host_id == tls_pair["first"].pk
    assert serial_answers(first_conn, domain.name)


@pytest.fixture
def destination_without_qemu_tls_key():
    """QEMU's TLS server key gone from /etc/pki/qemu (which both hosts of the pair share) for the test's length: a
    destination that cannot take a TLS migration. Put back afterwards, whatever happens."""
    kept = QEMU_SERVER_KEY.with_name("server-key.pem.kept-by-test")
    shutil.move(QEMU_SERVER_KEY, kept)
    try:
        yield
    finally:
        shutil.move(kept, QEMU_SERVER_KEY)
        os.chmod(QEMU_SERVER_KEY, 0o600)


def test_a_tls_migration_the_destination_cannot_do_fails_before_anything_moves(owner, tls_pair,
                                                                               destination_without_qemu_tls_key):
    first_conn, second_conn = tls_pair["conns"]
    domain = tls_pair["guest"](shared=True)
    start(first_conn, domain)

    answer = migrate(owner, domain, tls_pair["second"], tls=True, unsafe=True)
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"])

    assert job.state == "failed"
    assert "TLS migration" in job.error and "make-tls-certs.sh" in job.error and "without tls" in job.error
    assert running_on(first_conn, domain)
    assert not any(dom.UUID() == domain.uuid.bytes for dom in second_conn.listAllDomains(0))
    assert Domain.objects.get(pk=domain.pk).host_id == tls_pair["first"].pk
    assert serial_answers(first_conn, domain.name)


def test_tls_with_tunnelled_is_refused_before_any_job(owner, tls_pair):
    first_conn, _second_conn = tls_pair["conns"]
    domain = tls_pair["guest"](shared=True)
    start(first_conn, domain)
    jobs_before = Job.objects.count()

    answer = migrate(owner, domain, tls_pair["second"], tls=True, tunnelled=True, peer_to_peer=True, unsafe=True)

    assert answer.status_code == 400 and "tls" in answer.json()["fields"]
    assert Job.objects.count() == jobs_before and running_on(first_conn, domain)
