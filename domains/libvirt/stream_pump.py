"""The libvirt side of one volume transfer, run as a child process: bytes between a libvirt stream and pipes.

Why a process of its own: libvirt's event implementation is process-wide, and the server registers one on
its asyncio loop, so libvirt's client reads every connection's socket as soon as it is readable and queues a
download's packets in memory however slowly they are taken out (measured: +370 MiB over a 512 MiB volume
read slowly). This process registers no event implementation, so its socket is read only inside its own
recv calls: when the server stops reading the pipe, this process blocks writing it and stops reading its
socket, libvirtd's writes wait, and memory stays at one packet and the pipe, however slow the client.
An upload's stream.send runs here too, off the server's threads.

It imports nothing but libvirt and the standard library (it starts in a few tens of ms) and is started by
domains/libvirt/streams.py as `python -S -m domains.libvirt.stream_pump` with stdin and stdout piped:

- stdin, first: one JSON line {"uri", "key" (the volume's), "direction": "download"|"upload", "offset",
  "length", "sparse"}; then, for an upload, frames: DATA n + n bytes, HOLE n (n zero bytes: a hole when sparse),
  FINISH (n=1: a hole to the end), ABORT.
- stdout: frames: READY once the stream is open; a download's DATA n + n bytes and HOLE n; END n (the stream
  finished; n: bytes the upload handed to libvirt) or ERROR n + n bytes of JSON {"message", "code",
  "written"} (libvirt's words), after which the process exits.
A frame's header is FRAME: one kind byte and an unsigned 64-bit count. stdin closing without FINISH (the
server gone) aborts the stream; so does stdout closing (nobody reads the download any more).
"""

import json
import os
import struct
import sys

import libvirt

FRAME = struct.Struct("!cQ")
READY, DATA, HOLE, END, ERROR, FINISH, ABORT = b"R", b"D", b"H", b"E", b"X", b"F", b"A"

# libvirt carries a stream in packets of at most 256 KiB less its header (VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX):
# asking for more only makes recv return less.
PACKET = 262120
# A sparse upload's bytes are taken from the pipe a piece at a time (a packet at a time otherwise): the most
# this process holds.
PIECE = 1 << 20
# A run of zeros this long (at this alignment within a piece) is sent as a hole on a sparse upload: short
# runs are not worth the round trip, and whole blocks keep the test a memcmp against ZERO_BLOCK.
HOLE_BLOCK = 64 << 10
ZERO_BLOCK = bytes(HOLE_BLOCK)
# What recvFlags answers at a hole with VIR_STREAM_RECV_STOP_AT_HOLE (the C call's -3).
AT_HOLE = -3


class Stopped(Exception):
    """The server closed its end of a pipe: nothing is left to do but drop the stream."""


def write_all(fd, *pieces):
    """Write the pieces to fd in order, whole (a pipe takes a large write in several goes)."""
    views = [memoryview(piece) for piece in pieces if len(piece)]
    while views:
        try:
            written = os.writev(fd, views)
        except BrokenPipeError:
            raise Stopped() from None
        while written:
            if written >= len(views[0]):
                written -= len(views.pop(0))
            else:
                views[0] = views[0][written:]
                written = 0


def read_exactly(source, count):
    data = source.read(count)
    if len(data) < count:
        raise Stopped()
    return data


class Upload:
    """Pieces of an upload into the stream; zero blocks as holes when sparse (see streams.VolumeUpload)."""

    def __init__(self, stream, sparse, length):
        self.stream = stream
        self.sparse = sparse
        self.length = length
        self.written = 0  # bytes (data and holes) handed to libvirt
        self.pending_hole = 0

    def write(self, piece):
        if not self.sparse:
            self._send(piece)
            return
        view = memoryview(piece)
        start = block = 0
        # Only whole aligned blocks are judged, so a hole never splits what the server sent mid-block.
        while block < len(view):
            end = min(block + HOLE_BLOCK, len(view))
            if end - block == HOLE_BLOCK and view[block:end] == ZERO_BLOCK:
                self._send(view[start:block])
                self.pending_hole += HOLE_BLOCK
                start = end
            block = end
        self._send(view[start:])

    def hole(self, count):
        """count zero bytes: a hole when sparse (the region reads as zeros already), else zeros sent as data."""
        if self.sparse:
            self.pending_hole += count
            return
        zeros = bytes(min(count, PACKET))
        while count:
            self._send(memoryview(zeros)[:min(count, PACKET)])
            count -= min(count, PACKET)

    def _send(self, data):
        if not len(data):
            return
        if self.pending_hole:
            self.stream.sendHole(self.pending_hole, 0)
            self.written += self.pending_hole
            self.pending_hole = 0
        sent = 0
        while sent < len(data):
            # libvirt-python takes bytes only: a piece of at most a packet goes as it came, anything else as
            # one packet's copy at a time.
            whole = sent == 0 and len(data) <= PACKET and isinstance(data, bytes)
            sent += self.stream.send(data if whole else bytes(data[sent:sent + PACKET]))
        self.written += sent

    def finish(self, fill_to_end):
        """Commit; fill_to_end (sparse only): a hole to the upload's end, so an upload cut short does not leave
        the file truncated where its last hole put it."""
        if self.sparse:
            if fill_to_end:
                self.pending_hole = self.length - self.written
            if self.pending_hole:
                self.stream.sendHole(self.pending_hole, 0)
                self.written += self.pending_hole
                self.pending_hole = 0
        self.stream.finish()


def download(stream, sparse, out):
    while True:
        if sparse:
            got = stream.recvFlags(PACKET, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
            if isinstance(got, int):
                if got != AT_HOLE:
                    raise libvirt.libvirtError(f"The volume's download stream answered {got} instead of data; "
                                               "try again.")
                write_all(out, FRAME.pack(HOLE, stream.recvHole(0)))
                continue
        else:
            got = stream.recv(PACKET)
        if not got:
            break
        write_all(out, FRAME.pack(DATA, len(got)), got)
    stream.finish()
    write_all(out, FRAME.pack(END, 0))


def upload(sender, source, out):
    while True:
        kind, count = FRAME.unpack(read_exactly(source, FRAME.size))
        if kind == DATA:
            # A packet at a time unless zero blocks are looked for (a packet is no whole number of them).
            size = PIECE if sender.sparse else PACKET
            while count:
                piece = read_exactly(source, min(count, size))
                sender.write(piece)
                count -= len(piece)
        elif kind == HOLE:
            sender.hole(count)
        elif kind == FINISH:
            sender.finish(fill_to_end=bool(count))
            write_all(out, FRAME.pack(END, sender.written))
            return
        else:  # ABORT, or anything this version does not know
            raise Stopped()


def pump(orders, source, out):
    """Open the stream the orders name and move its bytes; libvirtError and Stopped go up to main()."""
    conn = libvirt.open(orders["uri"])
    volume = conn.storageVolLookupByKey(orders["key"])
    stream = conn.newStream(0)
    sparse, offset, length = orders["sparse"], orders["offset"], orders["length"]
    sender = None
    try:
        if orders["direction"] == "download":
            volume.download(stream, offset, length, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM if sparse else 0)
            write_all(out, FRAME.pack(READY, 0))
            download(stream, sparse, out)
        else:
            volume.upload(stream, offset, length, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0)
            sender = Upload(stream, sparse, length)
            write_all(out, FRAME.pack(READY, 0))
            upload(sender, source, out)
    except BaseException as exc:
        try:
            stream.abort()
        except libvirt.libvirtError:
            pass  # a stream that failed has nothing left to stop
        if sender is not None and isinstance(exc, libvirt.libvirtError):
            exc.written = sender.written
        raise


def main():
    # libvirt's default handler prints every error on stderr; the server gets them in ERROR frames instead.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    source, out = os.fdopen(0, "rb", buffering=1 << 16), 1
    try:
        pump(json.loads(source.readline()), source, out)
    except libvirt.libvirtError as exc:
        report = {"message": exc.get_error_message() or str(exc), "code": exc.get_error_code(),
                  "written": getattr(exc, "written", None)}
        body = json.dumps(report).encode()
        try:
            write_all(out, FRAME.pack(ERROR, len(body)), body)
        except Stopped:
            pass  # the server is gone: nobody to tell
        return 1
    except Stopped:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
