"""qemu-img on the console's machine: a backup chain read as one image, copied into a volume; bitmaps removed.

libvirt has no call that reads a chain of backup images as one disk, so a restore runs qemu-img itself. That only
reaches files on this machine: restores are offered for hosts whose libvirtd runs here (a local URI).
"""

import json
import re
import subprocess
from urllib.parse import urlparse

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError

PROGRESS = re.compile(rb"\((\d+(?:\.\d+)?)/100%\)")
NO_QEMU_IMG = _("qemu-img is not installed on the console's machine (Debian package qemu-utils).")



class ImageError(ConsoleError):
    """qemu-img refused or failed: its own words, and what to do."""

    code = "image_failed"
    status = 502


def is_local(uri):
    """Whether a libvirt URI names a daemon on this machine (its files are ours to read with qemu-img)."""
    return (urlparse(uri).hostname or "localhost") in ("localhost", "127.0.0.1", "::1")


def _run(args, timeout=120):
    try:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout).stdout
    except FileNotFoundError as exc:
        raise ImageError(NO_QEMU_IMG) from exc
    except subprocess.CalledProcessError as exc:
        raise ImageError(format_lazy(_("qemu-img {command} failed: {error}"), command=args[1],
                                     error=exc.stderr.strip())) from exc


def chain_spec(paths):
    """A json: filename reading paths (newest first, each a qcow2 file) as one image: each file's unallocated
    clusters read through to the next one, whatever backing file its header names (none, for a backup)."""
    spec = None
    for path in reversed(paths):
        layer = {"driver": "qcow2", "file": {"driver": "file", "filename": path}}
        layer["backing"] = spec  # None: the oldest (full) image stands alone
        spec = layer
    return "json:" + json.dumps(spec)


def allocated_bytes(path):
    """The bytes of guest data a qcow2 file holds itself (qemu-img map: its allocated data clusters, not a backing's)."""
    extents = json.loads(_run(["qemu-img", "map", "-U", "--output=json", "-f", "qcow2", path]))
    return sum(extent["length"] for extent in extents if extent.get("data") and extent.get("depth", 0) == 0)


def convert_chain(paths, target, on_progress, on_process=None):
    """Copy the image that paths make (newest first) into the existing qcow2 file target, zeroes skipped.

    on_progress(percent) is called as qemu-img reports; on_process(process) receives the running process, so a
    cancel can terminate it. ImageError if qemu-img fails (or was terminated).
    """
    args = ["qemu-img", "convert", "-p", "-n", "--target-is-zero", "-O", "qcow2", chain_spec(paths), target]
    try:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise ImageError(NO_QEMU_IMG) from exc
    if on_process is not None:
        on_process(process)
    buffer = b""
    try:
        while True:
            chunk = process.stdout.read1(4096)
            if not chunk:
                break
            buffer = (buffer + chunk)[-256:]
            found = PROGRESS.findall(buffer)
            if found:
                on_progress(float(found[-1]))
    except Exception:  # on_progress raised (a cancel): qemu-img must not go on writing into the volume
        process.kill()
        process.wait()
        raise
    errors = process.stderr.read().decode(errors="replace").strip()
    if process.wait() != 0:
        raise ImageError(format_lazy(_("qemu-img convert failed: {error}."), error=errors or _("it was stopped")))


def remove_bitmap(path, name):
    """Remove the persistent bitmap name from a qcow2 file no process has open (a shut-off domain's disk)."""
    _run(["qemu-img", "bitmap", "--remove", "-f", "qcow2", path, name])


def bitmaps_of(path):
    """The names of the persistent bitmaps in a qcow2 file."""
    info = json.loads(_run(["qemu-img", "info", "-U", "--output=json", "-f", "qcow2", path]))
    return [bitmap["name"] for bitmap in info.get("format-specific", {}).get("data", {}).get("bitmaps", [])]
