"""Volume content through libvirt streams (virStorageVolUpload/Download): the only module with stream calls.

Every call here blocks; async callers run them through asyncio.to_thread. A stream goes through the host's
connection, so uploads and downloads work on remote hosts as on local ones.
"""

import libvirt

from domains.libvirt.adapter import VirtError, translated_errors
from domains.libvirt.storage import storage_connection

# libvirt carries a stream in packets of at most 256 KiB less its header (VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX):
# asking for more only makes recv return less.
PACKET = 262120
# A run of zeros this long (at this alignment) is sent as a hole on a sparse upload: short runs are not
# worth the round trip, and whole blocks keep the test a memcmp against ZERO_BLOCK.
HOLE_BLOCK = 64 << 10
ZERO_BLOCK = bytes(HOLE_BLOCK)
# What recvFlags answers at a hole with VIR_STREAM_RECV_STOP_AT_HOLE (the C call's -3).
AT_HOLE = -3


def volume_facts(volume_handle):
    """{"capacity", "allocation", "file_backed", "path"} of a volume: what a transfer needs to plan."""
    with translated_errors():
        kind, capacity, allocation = volume_handle.info()
        path = volume_handle.path()
    return {"capacity": capacity, "allocation": allocation, "path": path,
            "file_backed": kind == libvirt.VIR_STORAGE_VOL_FILE}


class VolumeUpload:
    """Bytes written into a volume from offset on, through one stream; finish() commits, abort() drops it.

    sparse: zero blocks become holes (sendHole) instead of data. libvirt's hole on a file lseeks past the
    region and truncates there, leaving what the file held before in place, so the caller asks for sparse
    only when the region reads as zeros already (a volume with nothing allocated) and the upload runs to the
    volume's end (a truncation then ends where the volume does).
    """

    def __init__(self, host, volume_handle, offset, length, *, sparse=False):
        self.sparse = sparse
        self.offset = offset
        self.length = length
        self.written = 0  # bytes (data and holes) handed to libvirt so far
        self._pending_hole = 0
        with translated_errors():
            self.stream = storage_connection(host).newStream(0)
            flags = libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0
            try:
                volume_handle.upload(self.stream, offset, length, flags)
            except libvirt.libvirtError:
                self.stream.abort()
                raise

    def write(self, data):
        """Send data (bytes or memoryview) on; blocks while libvirt's side is full (that is the backpressure)."""
        view = memoryview(data)
        with translated_errors():
            if not self.sparse:
                self._send(view)
            else:
                self._send_sparse(view)

    def _send_sparse(self, view):
        start = 0
        block = start
        # Only whole aligned blocks are judged, so a hole never splits what the client sent mid-block.
        while block < len(view):
            end = min(block + HOLE_BLOCK, len(view))
            if end - block == HOLE_BLOCK and view[block:end] == ZERO_BLOCK:
                self._send(view[start:block])
                self._pending_hole += HOLE_BLOCK
                start = end
            block = end
        self._send(view[start:])

    def _send(self, view):
        if not len(view):
            return
        if self._pending_hole:
            self.stream.sendHole(self._pending_hole, 0)
            self.written += self._pending_hole
            self._pending_hole = 0
        sent = 0
        while sent < len(view):
            # libvirt-python takes bytes only: one packet's copy at a time.
            sent += self.stream.send(bytes(view[sent:sent + PACKET]))
        self.written += sent

    def finish(self, *, fill_to_end=False):
        """Commit what was sent. fill_to_end (sparse only): a hole to the upload's end, so an upload cut short
        does not leave the file truncated where its last hole put it."""
        with translated_errors():
            if self.sparse:
                if fill_to_end:
                    self._pending_hole = self.length - self.written
                if self._pending_hole:
                    self.stream.sendHole(self._pending_hole, 0)
                    self.written += self._pending_hole
                    self._pending_hole = 0
            self.stream.finish()

    def abort(self):
        """Drop the stream; libvirt keeps what it wrote already (a volume is no transaction)."""
        try:
            self.stream.abort()
        except libvirt.libvirtError:
            pass  # aborting a stream that failed already has nothing left to undo


class VolumeDownload:
    """A volume's bytes from offset, length of them (0: to the end), through one stream.

    read() answers bytes, or an int: the length of a hole (sparse downloads only), which reads as zeros.
    """

    def __init__(self, host, volume_handle, offset, length, *, sparse=False):
        self.sparse = sparse
        with translated_errors():
            self.stream = storage_connection(host).newStream(0)
            flags = libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM if sparse else 0
            try:
                volume_handle.download(self.stream, offset, length, flags)
            except libvirt.libvirtError:
                self.stream.abort()
                raise

    def read(self, size=PACKET):
        """Up to size bytes; b"" at the end; an int (a hole's length) where a sparse volume has a hole."""
        with translated_errors():
            if not self.sparse:
                return self.stream.recv(size)
            got = self.stream.recvFlags(size, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
            if isinstance(got, int):
                if got != AT_HOLE:
                    raise VirtError(f"The volume's download stream answered {got} instead of data; try again.")
                return self.stream.recvHole(0)
            return got

    def finish(self):
        with translated_errors():
            self.stream.finish()

    def abort(self):
        try:
            self.stream.abort()
        except libvirt.libvirtError:
            pass  # the stream ended or failed already: nothing left to stop
