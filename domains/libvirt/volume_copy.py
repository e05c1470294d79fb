"""A volume's bytes copied from one host's pool into a volume of another host's, through two storage streams."""

import threading

from django.utils.translation import gettext_lazy as _

from domains.libvirt.adapter import VirtError
from domains.libvirt.streams import PACKET, VolumeDownload, VolumeUpload, volume_facts


class HostToHostCopy:
    """The source volume downloaded and uploaded into the destination volume as it comes, length bytes.

    Sparse (VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM / UPLOAD_SPARSE_STREAM) where both volumes are files and the
    destination holds nothing yet: a hole read is written as a hole, so an empty disk moves no zeros. abort(), from
    any thread, stops both streams at once; libvirt keeps what the destination got so far (a volume is no
    transaction): the caller deletes that volume.
    """

    def __init__(self, source_host, source_vol, dest_host, dest_vol, length):
        self.source_host, self.source_vol = source_host, source_vol
        self.dest_host, self.dest_vol = dest_host, dest_vol
        self.length = length
        source, dest = volume_facts(source_vol), volume_facts(dest_vol)
        self.sparse = source["file_backed"] and dest["file_backed"] and dest["allocation"] == 0
        self.moved = 0
        self._lock = threading.Lock()
        self._streams = []
        self._aborted = False

    def _open(self, make):
        stream = make()
        with self._lock:
            self._streams.append(stream)
            aborted = self._aborted
        if aborted:
            stream.abort()
            raise VirtError(_("The copy was stopped (cancelled)."))
        return stream

    def run(self, progress):
        """Move the bytes; progress(bytes moved) after each piece. Raises VirtError (libvirt's words) on a failure,
        also once aborted."""
        reader = self._open(lambda: VolumeDownload(self.source_host, self.source_vol, 0, self.length,
                                                   sparse=self.sparse))
        writer = self._open(lambda: VolumeUpload(self.dest_host, self.dest_vol, 0, self.length, sparse=self.sparse))
        try:
            while True:
                piece = reader.read(PACKET)
                if isinstance(piece, int):
                    writer.write_hole(piece)
                    self.moved += piece
                elif piece:
                    writer.write(piece)
                    self.moved += len(piece)
                else:
                    break
                progress(self.moved)
            # A source shorter than announced (it shrank meanwhile) leaves the rest a hole, not a truncated file.
            writer.finish(fill_to_end=self.sparse)
        except BaseException:
            self.abort()
            raise
        return self.moved

    def abort(self):
        """Stop both streams now (any thread); the running run() ends with an error."""
        with self._lock:
            self._aborted = True
            streams = list(self._streams)
        for stream in streams:
            stream.abort()
