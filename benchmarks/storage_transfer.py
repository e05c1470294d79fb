"""Volume upload and download of 1 GiB through the console against `virsh vol-upload` / `vol-download`.

Same file, same libvirtd, same run, interleaved: for each direction the wall time and throughput of both,
their ratio (console / virsh; 1.0 = as fast), the SHA-256 round trip, and the server process's peak RSS
(VmHWM) against its RSS before the first transfer. The console's upload goes as one PUT of the whole file
(`curl -T`), and again as parts of PART bytes (one curl run, one connection, each part sent once the one
before was answered; the file is split before the clock starts), the way the browser sends it. A third
upload is the ceiling of any HTTP receiver that hashes: curl's same PUT into a bare receiver in this process
(a socket, SHA-256 on a thread of its own, one libvirt stream; no framework, no checks, no job). A second
download is the ceiling of any HTTP sender: curl's same GET from a bare sender in this process (one libvirt
stream read on a thread of its own, each packet sent straight into the client's socket). Needs libvirtd
(scripts/start-libvirtd.sh) and curl.

    .venv/bin/python benchmarks/storage_transfer.py [--size-mib 1024] [--rounds 3]
"""

import argparse
import hashlib
import os
import queue
import shutil
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

from django.conf import settings

from session import Console, serve_console

from tests.free_ports import free_ports


VIRSH = ["virsh", "-q", "-c", "qemu:///system"]
WORK = Path("/var/tmp/vct-bench-transfer")
POOL = f"vct-bench-{os.getpid()}"
MiB = 1 << 20
PART = 8 * MiB  # the parts' size, as static/js/storage/iso_upload.js sends them


def virsh(*args):
    return subprocess.run([*VIRSH, *args], check=True, capture_output=True, text=True).stdout


def fresh_volume(name, size):
    subprocess.run([*VIRSH, "vol-delete", "--pool", POOL, name], capture_output=True)
    virsh("vol-create-as", POOL, name, str(size), "--format", "raw")


def timed(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def memory_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def split_into_parts(source, size):
    """The file as PART-byte files (the page cache holds them, as it holds the source for virsh)."""
    parts = []
    with open(source, "rb") as f:
        for first in range(0, size, PART):
            part = WORK / f"part-{first // PART:05d}"
            part.write_bytes(f.read(PART))
            parts.append((part, first, min(first + PART, size) - 1))
    return parts


def upload_in_parts(parts, size, auth, url):
    """One curl command: a PUT per part with its Content-Range, over one kept-alive connection, in order."""
    command = ["curl", "-sS", "--fail"]
    for index, (part, first, last) in enumerate(parts):
        if index:
            command.append("--next")
        command += ["-X", "PUT", "-T", str(part), "-H", "Content-Type: application/octet-stream",
                    "-H", "Expect:", "-H", f"Content-Range: bytes {first}-{last}/{size}", *auth,
                    "-o", str(WORK / "put.json"), url]
    return command


def serve_with_uvicorn(daphne):
    """The same app, database and settings under uvicorn (Daphne reads a whole request body before the app
    sees any of it, so it cannot stream an upload)."""
    import socket
    import sys

    env = dict(item.split("=", 1) for item in Path(f"/proc/{daphne.pid}/environ").read_text().split("\0") if "=" in item)
    port = free_ports()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
                               "--lifespan", "off", "--log-level", "warning", "--no-access-log", "--http", "h11",
                               "console.asgi:application"], cwd=Path(__file__).resolve().parent.parent, env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return server, base_url


class BareServer:
    """One request at a time on 127.0.0.1 about a volume, with no framework: serve(volume_name) starts a thread
    that takes the next connection and hands it, with what arrived up to the head's end, to _serve."""

    def __init__(self):
        import libvirt

        self.conn = libvirt.open("qemu:///system")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"

    def serve(self, volume_name):
        """Start serving one request for volume_name; join() the returned thread after the client is done."""
        volume = self.conn.storagePoolLookupByName(POOL).storageVolLookupByName(volume_name)
        thread = threading.Thread(target=self._take, args=(volume,))
        thread.start()
        return thread

    def _take(self, volume):
        conn, _ = self.listener.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1 << 16)
            self._serve(conn, head, volume)


class BareReceiver(BareServer):
    """A PUT into a volume, as lean as a receiver that hashes can be: recv a packet, hand it to the hashing
    thread, send it into the stream. Answers 200 with the SHA-256."""

    def _serve(self, conn, head, volume):
        head, _, body = head.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        stream = self.conn.newStream(0)
        volume.upload(stream, 0, length, 0)
        digest, pieces = hashlib.sha256(), queue.Queue(maxsize=16)
        hashing = threading.Thread(target=lambda: [digest.update(p) for p in iter(pieces.get, None)])
        hashing.start()
        got = 0
        while True:
            if body:
                got += len(body)
                pieces.put(body)
                stream.send(body)
            if got >= length:
                break
            body = conn.recv(min(262120, length - got))  # one libvirt stream packet
            if not body:
                break
        pieces.put(None)
        hashing.join()
        stream.finish()
        answer = digest.hexdigest().encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(answer), answer))


class BareSender(BareServer):
    """A GET of a volume's bytes, as lean as an HTTP sender can be: a thread reads the stream a packet at a time,
    this one sends each packet into the client's socket as it comes."""

    def _serve(self, conn, head, volume):
        size = volume.info()[1]
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
        stream = self.conn.newStream(0)
        volume.download(stream, 0, 0, 0)
        packets = queue.Queue(maxsize=8)

        def read():
            while got := stream.recv(262120):  # one libvirt stream packet
                packets.put(got)
            packets.put(b"")

        reading = threading.Thread(target=read)
        reading.start()
        for packet in iter(packets.get, b""):
            conn.sendall(packet)
        reading.join()
        stream.finish()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne",
                        help="uvicorn: the same app served by uvicorn (h11), next to the Daphne that set it up")
    args = parser.parse_args()
    size = args.size_mib * MiB
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "pool").mkdir(parents=True)
    source = WORK / "source.img"
    with open(source, "wb") as f:  # incompressible, no holes: every byte goes over the stream
        for _ in range(args.size_mib):
            f.write(os.urandom(MiB))
    expected = sha256_file(source)
    parts = split_into_parts(source, size)
    virsh("pool-create-as", POOL, "dir", "--target", str(WORK / "pool"))
    try:
        with serve_console(WORK / "var", settings.DEMO_GUEST_DIR) as (base_url, username, password, server):
            if args.server == "uvicorn":
                server, base_url = serve_with_uvicorn(server)
            console = Console(base_url, username, password)
            host = console.api("POST", "hosts", json={"name": "libvirtd", "uri": "qemu:///system"})
            cookies = console.http.cookies
            auth = ["-H", f"Cookie: sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}",
                    "-H", f"X-CSRFToken: {cookies['csrftoken']}", "-H", f"Origin: {base_url}"]
            url = f"{base_url}/api/v1/hosts/{host['id']}/pools/{POOL}/volumes/{{}}/content"
            rss_before = memory_kib(server.pid, "VmRSS")
            times = {key: [] for key in ("virsh up", "console up", "console parts", "console bare", "virsh down",
                                         "console down", "console bare down")}
            bare, bare_sender = BareReceiver(), BareSender()
            # VmHWM only grows: its value after the first upload is the uploads' peak (downloads come after).
            peaks = {"up": 0}
            for _ in range(args.rounds):
                fresh_volume("virsh.img", size)
                times["virsh up"].append(timed([*VIRSH, "vol-upload", "--pool", POOL, "virsh.img", str(source)]))
                fresh_volume("console.img", size)
                times["console parts"].append(timed(upload_in_parts(parts, size, auth, url.format("console.img"))))
                fresh_volume("bare.img", size)
                receiving = bare.serve("bare.img")
                times["console bare"].append(timed(["curl", "-sS", "--fail", "-X", "PUT", "-T", str(source),
                                                    "-H", "Expect:", "-o", str(WORK / "bare.txt"), bare.url]))
                receiving.join()
                assert (WORK / "bare.txt").read_text() == expected, "the bare receiver's SHA-256 differs"
                fresh_volume("console.img", size)
                times["console up"].append(timed(["curl", "-sS", "--fail", "-X", "PUT", "-T", str(source),
                                                  "-H", "Content-Type: application/octet-stream", "-H", "Expect:",
                                                  *auth, "-o", str(WORK / "put.json"), url.format("console.img")]))
                peaks["up"] = peaks["up"] or memory_kib(server.pid, "VmHWM")
                times["virsh down"].append(timed([*VIRSH, "vol-download", "--pool", POOL, "virsh.img",
                                                  str(WORK / "virsh.out")]))
                times["console down"].append(timed(["curl", "-sS", "--fail", "-o", str(WORK / "console.out"),
                                                    *auth, url.format("console.img")]))
                sending = bare_sender.serve("console.img")
                times["console bare down"].append(timed(["curl", "-sS", "--fail", "-o", str(WORK / "bare.out"),
                                                         bare_sender.url]))
                sending.join()
            peak = memory_kib(server.pid, "VmHWM")
            put = (WORK / "put.json").read_text()
            round_trip = expected in put and sha256_file(WORK / "console.out") == expected
            assert sha256_file(WORK / "bare.out") == expected, "the bare sender's bytes differ"
    finally:
        subprocess.run([*VIRSH, "pool-destroy", POOL], capture_output=True)
        if args.server == "uvicorn" and "server" in locals():
            server.terminate()
    print(f"{args.server}: {args.size_mib} MiB, {args.rounds} rounds, medians (MiB/s):")
    for direction, case in (("up", "up"), ("up", "parts"), ("up", "bare"), ("down", "down"), ("down", "bare down")):
        ours, theirs = statistics.median(times[f"console {case}"]), statistics.median(times[f"virsh {direction}"])
        ratios = [t / o for o, t in zip(times[f"console {case}"], times[f"virsh {direction}"])]
        who = {"bare": "bare rx", "bare down": "bare tx"}.get(case, "console")
        print(f"  {case:9s} {who:7s} {args.size_mib / ours:7.1f}  virsh {args.size_mib / theirs:7.1f}  "
              f"ratio {statistics.median(ratios):.2f} (per round {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"  SHA-256 round trip: {'ok' if round_trip else 'MISMATCH'}")
    print(f"  server RSS before {rss_before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB "
          f"(+{(peak - rss_before) / 1024:.0f} MiB; after the first upload {peaks['up'] / 1024:.0f} MiB)")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
