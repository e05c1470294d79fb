"""One probe of QEMU's capabilities for all the embedded drivers of a test run.

Each embedded QEMU driver (qemu:///embed, a root of its own) asks the QEMU binary what it can do the first
time it is used, and caches the answer under <root>/cache/qemu/capabilities: about 4 s, paid again by every
fresh root (the test process's own and each served console's). libvirt checks a cached answer against the
binary, itself and the kernel before it trusts it and probes again when one changed, so a root may start
with another root's cache: the tests keep the newest in var/ and seed each fresh root with it.
"""

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "var" / "test-qemu-capabilities"
CACHE = Path("cache") / "qemu" / "capabilities"


def seed(root):
    """Give the embedded driver of root the capabilities cached by an earlier one, if there is one."""
    if SEED.is_dir() and not (Path(root) / CACHE).exists():
        shutil.copytree(SEED, Path(root) / CACHE, ignore=shutil.ignore_patterns(".*"))


def keep(root):
    """Add what root's driver cached (it probes each QEMU binary once it needs it) to the seed of later roots."""
    cache = Path(root) / CACHE
    if not cache.is_dir():
        return
    SEED.mkdir(parents=True, exist_ok=True)
    for entry in cache.glob("*.xml"):
        # Through a new name: a driver seeded meanwhile reads a whole file or none.
        partial = SEED / f".{entry.name}.{os.getpid()}"
        shutil.copy2(entry, partial)
        partial.replace(SEED / entry.name)
