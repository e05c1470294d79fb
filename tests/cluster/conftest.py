"""A cluster of three processes per test module, and the system libvirtd as its host."""

import pytest

from tests.cluster.client import PREFIX, signed_in
from tests.cluster_support import serve_cluster
from tests.libvirt_support import own_connection


@pytest.fixture(scope="module")
def cluster():
    with serve_cluster(processes=3) as running:
        yield running


@pytest.fixture(scope="module")
def libvirtd():
    """The test's own connection to the system libvirtd; the domains the tests defined are undefined at the end."""
    conn = own_connection()
    yield conn
    conn = own_connection()  # a test may have restarted libvirtd meanwhile
    for dom in conn.listAllDomains():
        if dom.name().startswith(PREFIX):
            dom.undefine()
    conn.close()


@pytest.fixture(scope="module")
def system_host(cluster, libvirtd):
    """(host id, signed-in admin session): the system libvirtd as the cluster's host, connected from every
    process (each one asked about it)."""
    http = signed_in(cluster.base_url, cluster.username, cluster.password)
    answer = http.post(f"{cluster.base_url}/api/v1/hosts", json={"name": "system", "uri": "qemu:///system"},
                       headers={"X-CSRFToken": http.cookies["csrftoken"], "Origin": cluster.base_url,
                                "Referer": f"{cluster.base_url}/"})
    assert answer.status_code == 201, answer.text
    host_id = answer.json()["id"]
    for process in cluster.processes:
        listed = http.get(f"http://127.0.0.1:{process.port}/api/v1/domains", params={"host": host_id})
        assert listed.status_code == 200, listed.text
    return host_id, http
