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
  "length", "sparse", "client_fds" (the fd of a Unix socket that passes client sockets, or null), and for
  an upload "hash" (keep a SHA-256 of its content)}; then, for an upload, frames: DATA n + n bytes, HOLE n
  (n zero bytes: a hole when sparse), PREFIX n + n bytes (the volume's bytes before the offset, read back by
  the server: hashed, not sent), CLIENT n (a client's socket follows on client_fds: read n bytes of the
  request body from it and send them), FINISH (n=1: a hole to the end), ABORT. For a download with
  client_fds, one frame: CLIENT n + n bytes (what the server had not sent of the response yet, its head),
  and a client's socket follows on client_fds: write those bytes and then the volume's into it.
- stdout: frames: READY once the stream is open; a download's DATA n + n bytes and HOLE n (without
  client_fds); while a CLIENT body is read or written, PROGRESS n (n of its bytes moved so far) and at its
  end TOOK n (fewer than the body's: the client's connection ended, or went silent); at FINISH of a hashed
  upload DIGEST 32 + the SHA-256; END n (the stream finished, or was dropped after a download's TOOK short
  of the end; n: bytes the upload handed to libvirt) or ERROR n + n bytes of JSON {"message", "code",
  "written"} (libvirt's words), after which the process exits.

Reading or writing a client's socket here saves the bytes two copies and the server's loop (Daphne, the
pipe): the server leaves that connection alone meanwhile and goes on after TOOK.
A frame's header is FRAME: one kind byte and an unsigned 64-bit count. stdin closing without FINISH (the
server gone) aborts the stream; so does stdout closing (nobody reads the download any more).
"""

import hashlib
import json
import os
import queue
import select
import socket
import struct
import sys
import threading

import libvirt

FRAME = struct.Struct("!cQ")
READY, DATA, HOLE, END, ERROR, FINISH, ABORT = b"R", b"D", b"H", b"E", b"X", b"F", b"A"
PREFIX, CLIENT, PROGRESS, TOOK, DIGEST = b"P", b"C", b"G", b"T", b"S"
# A client body's progress goes to the server every this many bytes (the job's progress follows it).
PROGRESS_EVERY = 8 << 20
# The longest a client's socket may stay silent in the middle of a body before the body counts as ended.
CLIENT_SILENCE = 120

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
# A download written into a client's socket: the packets read ahead of the one going out, and the zeros a
# hole is written from.
QUEUED = 8
ZEROS = memoryview(bytes(PACKET))


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

    def __init__(self, stream, sparse, length, digest=None):
        self.stream = stream
        self.sparse = sparse
        self.length = length
        self.digest = digest  # a Digest of everything written, or None
        self.written = 0  # bytes (data and holes) handed to libvirt
        self.pending_hole = 0

    def write(self, piece):
        if self.digest is not None:
            self.digest.update(piece)
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
        zeros = bytes(min(count, PACKET))
        if self.digest is not None:
            left = count
            while left:
                self.digest.update(zeros[:min(left, PACKET)])
                left -= min(left, PACKET)
        if self.sparse:
            self.pending_hole += count
            return
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


class Digest:
    """SHA-256 on a thread of its own, so hashing runs beside sending (hashlib lets go of the GIL)."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self._pieces = queue.Queue(maxsize=16)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        for piece in iter(self._pieces.get, None):
            self._hash.update(piece)

    def update(self, piece):
        self._pieces.put(piece)

    def value(self):
        self._pieces.put(None)
        self._thread.join()
        return self._hash.digest()


def take_client_body(sender, client, count, out):
    """Read count bytes of a request body from the client's socket (non-blocking: the server's own handle of
    it is), send them on, and report; the bytes taken (fewer once the client's connection ends)."""
    taken, reported, waiting = 0, 0, select.poll()
    waiting.register(client, select.POLLIN)
    while taken < count:
        try:
            piece = client.recv(min(PACKET, count - taken))
        except BlockingIOError:
            if not waiting.poll(CLIENT_SILENCE * 1000):
                break  # the client went silent mid-body: what arrived stays, the server says where it stands
            continue
        except OSError:
            break  # reset by the client
        if not piece:
            break
        sender.write(piece)
        taken += len(piece)
        if taken - reported >= PROGRESS_EVERY:
            write_all(out, FRAME.pack(PROGRESS, taken))
            reported = taken
    write_all(out, FRAME.pack(TOOK, taken))


def receive(stream, sparse):
    """The stream's next packet (bytes; b"" at its end), or a hole's length (an int) when sparse."""
    if not sparse:
        return stream.recv(PACKET)
    got = stream.recvFlags(PACKET, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
    if isinstance(got, int):
        if got != AT_HOLE:
            raise libvirt.libvirtError(f"The volume's download stream answered {got} instead of data; try again.")
        return stream.recvHole(0)
    return got


def download(stream, sparse, out):
    while got := receive(stream, sparse):
        if isinstance(got, int):
            write_all(out, FRAME.pack(HOLE, got))
        else:
            write_all(out, FRAME.pack(DATA, len(got)), got)
    stream.finish()
    write_all(out, FRAME.pack(END, 0))


class ClientWriter:
    """Bytes into a client's socket (non-blocking: the server's own handle of it is); written counts what the
    socket took, and False from send() says the client's connection ended or went silent."""

    def __init__(self, client):
        self.client = client
        self.written = 0
        self._waiting = select.poll()
        self._waiting.register(client, select.POLLOUT)

    def send(self, data):
        view = memoryview(data)
        while len(view):
            try:
                sent = self.client.send(view)
            except BlockingIOError:
                if not self._waiting.poll(CLIENT_SILENCE * 1000):
                    return False
                continue
            except OSError:
                return False  # reset by the client, or gone
            self.written += sent
            view = view[sent:]
        return True


def give_client_body(stream, sparse, client, head, out):
    """Write head and then the stream's bytes (a sparse volume's holes as zeros) into the client's socket,
    reporting progress; TOOK n: the body's bytes the socket took (fewer once the client's connection ended).

    libvirt is read on a thread of its own, so its next packets come while this one goes out; at most
    QUEUED packets wait between the two. A client gone, the stream is dropped."""
    packets, stop, failure = queue.Queue(maxsize=QUEUED), threading.Event(), []

    def read():
        try:
            while not stop.is_set():
                got = receive(stream, sparse)
                packets.put(got)
                if not got:
                    return
        except libvirt.libvirtError as exc:
            failure.append(exc)
        packets.put(b"")

    writer = ClientWriter(client)
    whole = writer.send(head)
    body_start, reported = writer.written, 0
    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    while whole:
        got = packets.get()
        if not got:
            break
        if isinstance(got, int):
            while whole and got:
                step = min(got, len(ZEROS))
                whole = writer.send(ZEROS[:step])
                got -= step
        else:
            whole = writer.send(got)
        if writer.written - body_start - reported >= PROGRESS_EVERY:
            reported = writer.written - body_start
            write_all(out, FRAME.pack(PROGRESS, reported))
    if not whole:
        stop.set()
        while packets.get():  # let the reader see stop (it may wait to put a packet)
            pass
    reading.join()
    written = max(writer.written - body_start, 0)
    if failure:
        failure[0].written = written
        raise failure[0]
    write_all(out, FRAME.pack(TOOK, written))
    if whole:
        stream.finish()
    else:
        stream.abort()
    write_all(out, FRAME.pack(END, 0))


def received_client(client_fds):
    """The client's socket the server passes next on client_fds (this process's copy: closing it leaves the
    server's connection open)."""
    _, fds, _, _ = socket.recv_fds(client_fds, 1, 1)
    if not fds:
        raise Stopped()
    return socket.socket(fileno=fds[0])


def upload(sender, source, out, client_fds=None):
    while True:
        kind, count = FRAME.unpack(read_exactly(source, FRAME.size))
        if kind == PREFIX:
            while count:
                piece = read_exactly(source, min(count, PIECE))
                sender.digest.update(piece)
                count -= len(piece)
        elif kind == CLIENT:
            with received_client(client_fds) as client:
                take_client_body(sender, client, count, out)
        elif kind == DATA:
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
            if sender.digest is not None:
                write_all(out, FRAME.pack(DIGEST, 32), sender.digest.value())
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
        client_fds = orders.get("client_fds")
        client_fds = socket.socket(fileno=client_fds) if client_fds is not None else None
        if orders["direction"] == "download":
            volume.download(stream, offset, length, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM if sparse else 0)
            write_all(out, FRAME.pack(READY, 0))
            if client_fds is None:
                download(stream, sparse, out)
                return
            kind, count = FRAME.unpack(read_exactly(source, FRAME.size))
            if kind != CLIENT:
                raise Stopped()
            head = read_exactly(source, count)
            with received_client(client_fds) as client:
                give_client_body(stream, sparse, client, head, out)
        else:
            volume.upload(stream, offset, length, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0)
            sender = Upload(stream, sparse, length, Digest() if orders.get("hash") else None)
            write_all(out, FRAME.pack(READY, 0))
            upload(sender, source, out, client_fds)
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
