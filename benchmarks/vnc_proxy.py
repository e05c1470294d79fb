"""Console proxy against websockify, in front of the same QEMU VNC server: one full-screen raw 1920x1080x32 update.

Measures, for each proxy in the same run: time from the update's first byte
to its last at the websocket client, the burst MB/s that gives, and the
proxy process's CPU time per MB carried.

--wmem-max runs the rounds once per value of net.core.wmem_max ("machine" is
the value found; 212992 is a stock kernel's), as root, and puts the machine's
value back at the end: it caps a socket's SO_SNDBUF, which decides how much
the VNC server writes before waiting for its reader.

    .venv/bin/python benchmarks/vnc_proxy.py [--frames 40] [--wmem-max machine,212992]
"""

import argparse
import asyncio
import glob
import re
import statistics
import struct
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from session import REPO, Console, serve_console, tree_cpu_seconds
from ws_client import OP_BINARY, connect

WIDTH, HEIGHT, BPP = 1920, 1080, 32
# Bochs VBE registers through the std VGA's MMIO BAR (offset 0x500, 16-bit each).
VBE = {"xres": 1, "yres": 2, "bpp": 3, "enable": 4}
WMEM_MAX = Path("/proc/sys/net/core/wmem_max")
STOCK_WMEM_MAX = 212992  # Linux's default: 256 socket buffers of 832 bytes


async def serial_command(console, uuid, command, expect, timeout=60):
    ws = await connect(console.ticket_url(uuid, "serial"), ["virtconsole.v1"], console.ws_headers)
    seen = b""
    deadline = time.monotonic() + timeout
    sent = False
    try:
        while expect.encode() not in seen or not sent:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expect!r} not seen; got {seen[-300:]!r}")
            if not sent and b"/ # " in seen:
                await ws.send_binary(command.encode() + b"\r")
                sent = True
            elif not sent:
                await ws.send_binary(b"\r")
            try:
                opcode, payload = await asyncio.wait_for(ws.recv(), 1)
            except asyncio.TimeoutError:
                continue
            if opcode == OP_BINARY:
                seen += payload
    finally:
        ws.close()
    return seen.decode(errors="replace")


async def set_mode(console, uuid):
    """Switch the guest's VGA to 1920x1080x32 by writing the Bochs VBE registers with busybox devmem."""
    # The shell computes each end marker, so the echoed command line never matches it.
    out = await serial_command(console, uuid, "cat /sys/bus/pci/devices/0000:00:02.0/resource; echo END-$((6*7))",
                               "END-42")
    bars = re.findall(r"0x([0-9a-f]{16}) 0x([0-9a-f]{16})", out)
    mmio = int(bars[2][0], 16) + 0x500
    writes = [("enable", 0), ("xres", WIDTH), ("yres", HEIGHT), ("bpp", BPP), ("enable", 0x41)]
    command = "; ".join(f"devmem 0x{mmio + 2 * VBE[r]:x} 16 {v}" for r, v in writes) + "; echo MODE-$((6*7))"
    await serial_command(console, uuid, command, "MODE-42")


async def rfb_open(ws):
    """RFB 3.8 handshake with security None; returns (width, height, bytes per pixel)."""
    buffer = bytearray()

    async def take(count):
        while len(buffer) < count:
            opcode, payload = await ws.recv()
            buffer.extend(payload)
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    await take(12)
    await ws.send_binary(b"RFB 003.008\n")
    count = (await take(1))[0]
    types = await take(count)
    if 1 not in types:
        raise RuntimeError(f"the VNC server wants authentication ({list(types)})")
    await ws.send_binary(b"\x01")
    await take(4)
    await ws.send_binary(b"\x01")
    width, height = struct.unpack(">HH", await take(4))
    pixel_format = await take(16)
    name_length = struct.unpack(">I", await take(4))[0]
    await take(name_length)
    await ws.send_binary(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: raw only
    return width, height, pixel_format[0] // 8, buffer


async def measure(ws, frames):
    """Per full update: (seconds first byte to last, bytes)."""
    width, height, bytes_per_pixel, buffer = await rfb_open(ws)
    if (width, height) != (WIDTH, HEIGHT):
        raise RuntimeError(f"the guest screen is {width}x{height}, not {WIDTH}x{HEIGHT}")
    size = 4 + 12 + width * height * bytes_per_pixel
    results = []
    for _ in range(frames + 2):
        await ws.send_binary(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        got = len(buffer)
        buffer.clear()
        first = None
        while got < size:
            opcode, payload = await ws.recv()
            if first is None:
                first = time.perf_counter()
            got += len(payload)
        last = time.perf_counter()
        results.append((last - first, size))
    return results[2:]  # the first updates warm caches and buffers


async def run_proxy(name, url, headers, pid, frames):
    ws = await connect(url, ["binary"], headers)
    cpu_before = tree_cpu_seconds(pid)
    results = await measure(ws, frames)
    cpu = tree_cpu_seconds(pid) - cpu_before
    ws.close()
    times = [t for t, _ in results]
    megabytes = sum(b for _, b in results) / 1e6
    median = statistics.median(times)
    return {
        "proxy": name,
        "ms_per_frame_p50": median * 1e3,
        "ms_per_frame_min": min(times) * 1e3,
        "burst_MBps": results[0][1] / 1e6 / median,
        "cpu_ms_per_MB": cpu * 1e3 / megabytes,
    }


def give_vnc_a_port(console, uuid):
    """The demo guest's VNC server listens on no port (the console reaches it through libvirt): websockify
    needs one, so the benchmark's copy gets one on 127.0.0.1."""
    xml = console.api("GET", f"domains/{uuid}/xml")["xml"]
    graphics = ("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>"
                "<listen type='address' address='127.0.0.1'/></graphics>")
    xml, count = re.subn(r"<graphics type=.vnc.(?:[^>]*/>|.*?</graphics>)", graphics, xml, count=1, flags=re.S)
    if not count:
        raise LookupError("the demo guest has no VNC graphics device")
    console.api("PUT", f"domains/{uuid}/xml", json={"xml": xml, "reason": "benchmark: websockify needs a TCP port"})


def vnc_port(var):
    for path in glob.glob(f"{var}/embed/**/demo.xml", recursive=True):
        match = re.search(r"<graphics type='vnc' port='(\d+)'", open(path).read())
        if match and match.group(1) != "-1":
            return int(match.group(1))
    raise LookupError("no running demo guest with a VNC port under the embedded root")


@contextmanager
def wmem_max(value):
    """net.core.wmem_max set to value ("machine": left as found) while inside, then put back."""
    found = WMEM_MAX.read_text().strip()
    if value != "machine":
        WMEM_MAX.write_text(f"{value}\n")
    try:
        yield int(value) if value != "machine" else int(found)
    finally:
        WMEM_MAX.write_text(f"{found}\n")


def report(rows):
    for row in rows:
        print(f"{row['proxy']:22} {row['ms_per_frame_p50']:7.2f} ms/frame (min {row['ms_per_frame_min']:.2f})"
              f"  {row['burst_MBps']:8.1f} MB/s  {row['cpu_ms_per_MB']:6.2f} ms CPU/MB")
    ours = [r for r in rows if r["proxy"].startswith("virtconsole")]
    theirs = [r for r in rows if r["proxy"] == "websockify"]
    for key in ("ms_per_frame_p50", "burst_MBps", "cpu_ms_per_MB"):
        a = statistics.median(r[key] for r in ours)
        b = statistics.median(r[key] for r in theirs)
        print(f"ratio virtconsole/websockify {key}: {a / b:.2f}")


async def main(frames, wmem_values):
    var = "/var/tmp/vcbench-vnc"
    with serve_console(var, REPO / "var" / "guest") as (base_url, username, password, server):
        console = Console(base_url, username, password)
        uuid = console.domain("demo")["uuid"]
        give_vnc_a_port(console, uuid)
        console.api("POST", f"domains/{uuid}/actions", json={"action": "start"})
        await set_mode(console, uuid)
        port = vnc_port(var)
        websockify_port = port + 1000
        websockify = subprocess.Popen([sys.executable, "-m", "websockify", f"127.0.0.1:{websockify_port}",
                                       f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)
            for value in wmem_values:
                with wmem_max(value) as applied:
                    rows = []
                    for _ in range(2):  # interleaved, so drift in the guest or host hits both alike
                        rows.append(await run_proxy("virtconsole (Daphne)", console.ticket_url(uuid, "vnc"),
                                                    console.ws_headers, server.pid, frames))
                        rows.append(await run_proxy("websockify", f"ws://127.0.0.1:{websockify_port}/", {},
                                                    websockify.pid, frames))
                print(f"net.core.wmem_max = {applied} ({value})")
                report(rows)
        finally:
            websockify.terminate()
            websockify.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--wmem-max", default="machine",
                        help=f"comma-separated values of net.core.wmem_max to run under, e.g. machine,{STOCK_WMEM_MAX}")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.frames, arguments.wmem_max.split(",")))
