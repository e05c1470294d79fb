"""A transfer on a test:/// host: its driver lives in the server's process, where no stream pump can reach it."""

import pytest

from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError
from domains.libvirt.streams import VolumeDownload, VolumeUpload


def test_a_test_driver_host_says_it_streams_no_volumes_instead_of_opening_another_driver(transactional_db,
                                                                                          test_driver_host, tmp_path):
    # A pump opening test:/// would find a driver of its own, without this volume: it is refused before.
    conn = adapter.connection_for(test_driver_host).get()
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>in-memory</name><target><path>{tmp_path}</path>"
                                     "</target></pool>", 0)
    volume = pool.createXML("<volume><name>disk.img</name><capacity>1048576</capacity></volume>", 0)
    for transfer, call in ((VolumeUpload, "Upload"), (VolumeDownload, "Download")):
        with pytest.raises(VirtError, match=f"not supported by the connection driver: virStorageVol{call}"):
            transfer(test_driver_host, volume, 0, 1024)
