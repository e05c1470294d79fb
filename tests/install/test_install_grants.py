"""A user who is not the administrator creates with an install source through grants: define_domains on the host,
Pool user on the pool, Network user on the network; without the pool or network grant, nothing is made."""

from domains.libvirt import networks as libvirt_networks
from domains.libvirt import storage as libvirt_storage
from domains.lifecycle import inventory
from domains.networks.lookups import network_row
from domains.storage.lookups import pool_row
from tests.install.conftest import domain_names, volumes_of
from tests.install.test_install_create_api import create


def rows(host):
    inventory.sync_host(host)
    return (pool_row(host, libvirt_storage.find_pool(host, name="images")),
            network_row(host, libvirt_networks.find_network(host, name="lan")))


def test_a_teammate_with_pool_and_network_grants_creates_from_an_iso(lab_host, teammate, grant, define_role,
                                                                     api_as):
    pool, network = rows(lab_host)
    grant(define_role("Definer (install test)", ["getattr", "define_domains"]), host=lab_host)
    grant("Pool user", pool=pool)
    grant("Network user", network=network)
    answer = create(api_as(teammate), lab_host, name="team1", install={"kind": "iso", "volume": "images/media.iso"},
                    disks=[{"pool": "images", "size_gib": 1}], interfaces=[{"network": "lan"}])
    assert answer.status_code == 201, answer.json()
    assert "team1-disk0.qcow2" in volumes_of(lab_host)


def test_without_the_network_grant_the_create_is_refused_before_any_volume(lab_host, teammate, grant, define_role,
                                                                           api_as):
    pool, _network = rows(lab_host)
    grant(define_role("Definer (install test)", ["getattr", "define_domains"]), host=lab_host)
    grant("Pool user", pool=pool)
    before = volumes_of(lab_host)
    answer = create(api_as(teammate), lab_host, name="team2", install={"kind": "iso", "volume": "images/media.iso"},
                    disks=[{"pool": "images", "size_gib": 1}], interfaces=[{"network": "lan"}])
    assert answer.status_code in (400, 403), answer.json()
    assert volumes_of(lab_host) == before and "team2" not in domain_names(lab_host)


def test_without_the_pool_grant_the_medium_is_not_there_for_the_teammate(lab_host, teammate, grant, define_role,
                                                                         api_as):
    grant(define_role("Definer (install test)", ["getattr", "define_domains"]), host=lab_host)
    answer = create(api_as(teammate), lab_host, name="team3", install={"kind": "iso", "volume": "images/media.iso"})
    assert answer.status_code == 400 and "no volume 'images/media.iso' you may see" in answer.json()["message"]
