"""Helpers of the volume tests (their fixtures are in conftest.py): API callers, a libvirt connection of their own,
waiting for jobs."""

from rest_framework.test import APIClient
from tests.libvirt_support import own_connection


GiB = 2**30
def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def volume_names(pool):
    conn = own_connection()
    try:
        handle = conn.storagePoolLookupByName(pool.name)
        handle.refresh(0)
        return sorted(vol.name() for vol in handle.listAllVolumes())
    finally:
        conn.close()


