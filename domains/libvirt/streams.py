"""Volume content through libvirt streams (virStorageVolUpload/Download), each transfer in a child process.

The stream itself is opened and moved by domains/libvirt/stream_pump.py, a child process per transfer (its
docstring says why: libvirt's client would otherwise queue a whole download in this process's memory). This
module starts the child and moves bytes and errors between it and the caller through pipes whose capacity
is the backpressure: VolumeUpload.write() blocks while the child has not taken the last bytes, and the child
stops reading libvirt while VolumeDownload.read() is not called. An upload's child keeps its SHA-256 and can
read a request body straight off the client's socket (VolumeUpload.take_client_body), and a download's can
write the body into it (VolumeDownload.send_to_client), so the bytes need not pass through this process at
all. Every call here blocks; async callers run them through asyncio.to_thread. The child opens the host's
URI with this process's environment (ssh agent and keys, TLS certificates), so uploads and downloads work on
remote hosts as on local ones.
"""

import fcntl
import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.libvirt import uris
from domains.libvirt.adapter import VirtError, daemon_uri, translated_errors
from domains.libvirt.stream_pump import (
    CLIENT,
    DATA,
    DIGEST,
    END,
    ERROR,
    FINISH,
    FRAME,
    HOLE,
    PACKET,
    PREFIX,
    PROGRESS,
    READY,
    TOOK,
)

__all__ = ["PACKET", "VolumeDownload", "VolumeUpload", "volume_facts"]

# Where the child imports domains.libvirt.stream_pump from: the directory that holds this package.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# A pipe of 1 MiB (Linux's limit for unprivileged processes) each way between the server and a child: the
# most that sits between them, and 16 times fewer wake-ups per MiB than the default 64 KiB. (8 MiB, so that
# an upload's part is answered while the child still sends it, measured no faster: README, Volume transfers.)
PIPE_SIZE = 1 << 20
# The test driver lives inside the process that opens it: a child would open a driver of its own, without
# the server's volumes. It has no stream support anyway (libvirt's words below).
NO_STREAMS = "this function is not supported by the connection driver: virStorageVol{what} (the test driver)"
# The longest the server waits on a child that neither takes nor gives a byte, nor says it is ready or done.
# The child waits only on libvirt, which moves a live transfer's bytes in milliseconds (at most a pipe's
# worth sits between them), so this much silence means a libvirtd that took the call and stopped answering.
# Without a limit such a transfer stayed at 0 % for good, and so did the job or request holding it.
SILENCE_LIMIT = 120.0


def volume_facts(volume_handle):
    """{"capacity", "allocation", "file_backed", "path"} of a volume: what a transfer needs to plan."""
    with translated_errors():
        kind, capacity, allocation = volume_handle.info()
        path = volume_handle.path()
    return {"capacity": capacity, "allocation": allocation, "path": path,
            "file_backed": kind == libvirt.VIR_STORAGE_VOL_FILE}


def _child_environment():
    """This process's environment (credentials for remote URIs), with the paths the child imports from: it
    starts without site (-S: a few tens of ms less), so libvirt's own directory is named."""
    paths = [str(PACKAGE_ROOT), str(Path(libvirt.__file__).parent)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


class _Pump:
    """One child process running one stream, and the frames between it and this process."""

    def __init__(self, host, volume_handle, direction, offset, length, sparse, extra_orders=None,
                 takes_clients=False):
        """takes_clients: the child may be passed a client's socket (_pass_client) to read or write itself."""
        if uris.scheme_parts(host.uri)[0] == "test":
            raise VirtError(NO_STREAMS.format(what=direction.title()), libvirt.VIR_ERR_NO_SUPPORT)
        with translated_errors():
            key = volume_handle.key()
        self._client_fds, child_end = socket.socketpair(socket.AF_UNIX) if takes_clients else (None, None)
        try:
            self._start(host, key, direction, offset, length, sparse, extra_orders, child_end)
        except BaseException:
            if self._client_fds is not None:
                self._client_fds.close()
            raise
        finally:
            if child_end is not None:
                child_end.close()  # the child holds its own copy

    def _start(self, host, key, direction, offset, length, sparse, extra_orders, child_end):
        self.stopped = False  # abort() was called: the child's end is ours, not a failure
        self._io = threading.RLock()
        self._reaped = False
        self._stderr_tail = ""
        # A session of its own: a Ctrl-C meant for the server must leave the pump to the server, which finishes
        # idle uploads as it stops (uploads.close_all); a pump ends anyway once the server's end of a pipe closes.
        self.process = subprocess.Popen([sys.executable, "-S", "-m", "domains.libvirt.stream_pump"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        bufsize=0, cwd=PACKAGE_ROOT, env=_child_environment(),
                                        start_new_session=True,
                                        pass_fds=(child_end.fileno(),) if child_end is not None else ())
        self._in, self._out = self.process.stdin.fileno(), self.process.stdout.fileno()
        # Writes wait in _until_ready, under the silence limit, instead of inside os.write.
        os.set_blocking(self._in, False)
        self._host_name = str(host)
        self._step = _("opening the stream")
        for fd in (self._in, self._out):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            except OSError:
                pass  # over the user's pipe quota: the default 64 KiB works, a little slower
        orders = {"uri": daemon_uri(host.uri), "key": key, "direction": direction, "offset": offset,
                  "length": length, "sparse": sparse,
                  "client_fds": child_end.fileno() if child_end is not None else None, **(extra_orders or {})}
        with self._io:
            try:
                self._write(json.dumps(orders).encode() + b"\n")
                kind, _count = self._frame()
            except BaseException:
                self._kill()
                raise
        if kind != READY:
            self._kill()
            raise VirtError(format_lazy(_("The transfer's helper process answered {answer} instead of being ready: "
                                          "try again."), answer=repr(kind)))
        self._step = _("moving the volume's bytes")

    @property
    def pid(self):
        return self.process.pid

    def _pass_client(self, client_fd, count, extra=b""):
        """Tell the child to read or write a client's socket (a CLIENT frame of count, then extra), and pass
        it the socket."""
        self._write(FRAME.pack(CLIENT, count), extra)
        try:
            socket.send_fds(self._client_fds, [b"c"], [client_fd])
        except OSError:
            raise self._why_it_ended(said=True) from None

    def _client_progress(self, on_progress, doing):
        """Follow the child's PROGRESS frames to its TOOK frame; its count."""
        while True:
            kind, count = self._frame()
            if kind == TOOK:
                return count
            if kind != PROGRESS:
                raise VirtError(format_lazy(_("The transfer's helper process answered {answer} while {doing}: try "
                                              "again."), answer=repr(kind), doing=doing))
            on_progress(count)

    # --- the pipes ---

    def _until_ready(self, fd, event):
        """Wait until fd can be written (POLLOUT) or read (POLLIN), or the child's end closed; past
        SILENCE_LIMIT the child is killed and the transfer fails naming libvirt's silence."""
        waiting = select.poll()
        waiting.register(fd, event)
        if not waiting.poll(SILENCE_LIMIT * 1000):
            self._kill()
            raise VirtError(format_lazy(_("libvirt on host '{host}' answered nothing for {seconds} s while {step}, so "
                                          "the transfer was stopped. Check that host's libvirtd (is it running, is "
                                          "its storage reachable?), then start the transfer again."),
                                        host=self._host_name, seconds=f"{SILENCE_LIMIT:g}", step=self._step))

    def _write(self, *pieces):
        if self._reaped:
            raise self._why_it_ended()
        try:
            for piece in pieces:
                view = memoryview(piece).cast("B")
                while len(view):
                    try:
                        view = view[os.write(self._in, view):]
                    except BlockingIOError:  # the pipe is full: the child has not taken the last bytes yet
                        self._until_ready(self._in, select.POLLOUT)
        except OSError:  # EPIPE: the child ended; it may have said why first
            raise self._why_it_ended(said=True) from None

    def _read_exactly(self, count):
        data = b""
        while len(data) < count:
            data += self._read(count - len(data))
        return data

    def _read(self, count):
        if self._reaped:
            raise self._why_it_ended()
        self._until_ready(self._out, select.POLLIN)
        try:
            got = os.read(self._out, count)
        except OSError:
            got = b""
        if not got:
            raise self._why_it_ended()
        return got

    def _frame(self):
        """The next frame's (kind, count); an ERROR frame is raised as the VirtError it carries."""
        kind, count = FRAME.unpack(self._read_exactly(FRAME.size))
        if kind == ERROR:
            report = json.loads(self._read_exactly(count))
            self._reap()
            raise _reported(report)
        return kind, count

    def _why_it_ended(self, said=False):
        """The error to raise now that the child's end of a pipe closed before its last frame: its own ERROR
        frame if it sent one (said: a write failed, so its frames were not read), else how it ended."""
        if said and not self.stopped and not self._reaped:
            try:
                rest = self.process.stdout.read(1 << 16) or b""
            except OSError:
                rest = b""
            if len(rest) >= FRAME.size and rest[:1] == ERROR:
                self._reap()
                return _reported(json.loads(rest[FRAME.size:]))
        self._reap()
        if self.stopped:
            return VirtError(_("The transfer was stopped (cancelled, or its connection closed)."))
        status = self.process.returncode
        how = (format_lazy(_("killed by signal {signal}"), signal=-status) if status is not None and status < 0
               else format_lazy(_("exit status {status}"), status=status))
        detail = self._stderr_tail
        return VirtError(format_lazy(_("The transfer's helper process ended unexpectedly ({how}): the transfer "
                                       "failed; start it again (an upload from the start, or from the offset its job "
                                       "reports)."), how=format_lazy("{}: {}", how, detail) if detail else how))

    def _last_words(self):
        """The last line the (ended) child wrote on stderr: a Python traceback's error, if it died of one."""
        try:
            lines = (self.process.stderr.read(1 << 16) or b"").decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    # --- the child's end ---

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self._reap()

    def _reap(self):
        """Wait for the child and close our ends of its pipes (once)."""
        if self._reaped:
            return
        for pipe in (self.process.stdin, self.process.stdout, self._client_fds):
            if pipe is None:
                continue
            try:
                pipe.close()  # a child still reading gets EOF and ends, one still writing EPIPE
            except OSError:
                pass  # unsent bytes of a child that died: nobody to send them to
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr_tail = self._last_words()
        self.process.stderr.close()
        self._reaped = True

    def abort(self):
        """Stop the transfer now: the child is killed, its connection closes and libvirtd drops the stream
        (libvirt keeps what it wrote already: a volume is no transaction). Any thread; a blocked read or write
        of another thread ends with an error."""
        self.stopped = True
        if self.process.poll() is None:
            self.process.kill()
        with self._io:  # the blocked reader or writer lets go once the child's pipes closed
            self._reap()


class VolumeUpload(_Pump):
    """Bytes written into a volume from offset on, through one stream; finish() commits, abort() drops it.

    sparse: zero blocks become holes (sendHole) instead of data. libvirt's hole on a file lseeks past the
    region and truncates there, leaving what the file held before in place, so the caller asks for sparse
    only when the region reads as zeros already (a volume with nothing allocated) and the upload runs to the
    volume's end (a truncation then ends where the volume does).
    """

    def __init__(self, host, volume_handle, offset, length, *, sparse=False, hashed=False):
        self.sparse = sparse
        self.offset = offset
        self.length = length
        self.written = 0  # bytes handed to the child; finish() makes it what libvirt took
        self.digest = None  # hashed: the SHA-256 (hex) of what was written, once finish() returned
        # hashed: the child keeps the SHA-256 and can read a request body from the client's socket itself
        # (take_client_body).
        super().__init__(host, volume_handle, "upload", offset, length, sparse, {"hash": hashed},
                         takes_clients=hashed)

    def write(self, *pieces):
        """Send the pieces (bytes or memoryviews) on, as one frame; blocks while the child has not taken what
        came before (that is the backpressure: the child takes it as fast as libvirt does)."""
        size = sum(len(piece) for piece in pieces)
        with self._io:
            self._write(FRAME.pack(DATA, size), *pieces)
            self.written += size

    def write_prefix(self, data):
        """Bytes the volume holds before the offset (a resumed upload's, read back): hashed, not written."""
        with self._io:
            self._write(FRAME.pack(PREFIX, len(data)), data)

    def take_client_body(self, client_fd, count, on_progress):
        """Let the child read count bytes of a request body from client_fd (a socket this process does not read
        meanwhile) and send them on; on_progress(n) as it goes. The bytes taken: fewer than count when the
        client's connection ended."""
        with self._io:
            self._pass_client(client_fd, count)
            taken = self._client_progress(on_progress, _("reading the upload"))
            self.written += taken
            return taken

    def write_hole(self, count):
        """count zero bytes on: a hole when sparse (a sparse download's hole passed on as one), else zeros the
        child sends as data."""
        with self._io:
            self._write(FRAME.pack(HOLE, count))
            self.written += count

    def finish(self, *, fill_to_end=False):
        """Commit what was sent. fill_to_end (sparse only): a hole to the upload's end, so an upload cut short
        does not leave the file truncated where its last hole put it."""
        with self._io:
            self._step = _("finishing the upload")
            self._write(FRAME.pack(FINISH, int(fill_to_end)))
            kind, count = self._frame()
            if kind == DIGEST:
                self.digest = self._read_exactly(count).hex()
                kind, count = self._frame()
            self._reap()
        if kind != END:
            raise VirtError(format_lazy(_("The transfer's helper process answered {answer} to the end of the "
                                          "upload: upload it again."), answer=repr(kind)))
        self.written = count


class VolumeDownload(_Pump):
    """A volume's bytes from offset, length of them (0: to the end), through one stream.

    read() answers bytes, or an int: the length of a hole (sparse downloads only), which reads as zeros.
    to_client: the bytes go instead straight into a client's socket, written by the child (send_to_client).
    """

    def __init__(self, host, volume_handle, offset, length, *, sparse=False, to_client=False):
        self.sparse = sparse
        self._left = 0  # bytes of the current DATA frame not read yet
        self._ended = False
        super().__init__(host, volume_handle, "download", offset, length, sparse, takes_clients=to_client)

    def send_to_client(self, head, client_fd, on_progress):
        """Let the child write head (what of the response this process has not sent yet) and then the bytes
        into client_fd, a socket this process leaves alone meanwhile; on_progress(n) as it goes. The body's
        bytes the socket took: fewer than the length when the client's connection ended or went silent.
        The stream is over when this returns (finish() has nothing left to read)."""
        with self._io:
            self._pass_client(client_fd, len(head), head)
            written = self._client_progress(on_progress, _("writing the download"))
            kind, _count = self._frame()
            self._ended = True
            self._reap()
        if kind != END:
            raise VirtError(format_lazy(_("The transfer's helper process answered {answer} at the end of the "
                                          "download: download it again."), answer=repr(kind)))
        return written

    def read(self, size=PACKET):
        """Up to size bytes; b"" at the end; an int (a hole's length) where a sparse volume has a hole."""
        with self._io:
            if self._ended:
                return b""
            while not self._left:
                kind, count = self._frame()
                if kind == HOLE:
                    return count
                if kind == END:
                    self._ended = True
                    self._reap()
                    return b""
                self._left = count if kind == DATA else 0
            data = self._read(min(size, self._left))
            self._left -= len(data)
            return data

    def finish(self):
        """Read to the stream's end (what is left is dropped) and let the child go."""
        with self._io:
            while self.read(PACKET) != b"":
                pass


def _reported(report):
    """The VirtError of a child's ERROR frame: libvirt's words and code; .written: what an upload's libvirt took."""
    error = VirtError(report["message"], report.get("code"))
    error.written = report.get("written")
    return error
