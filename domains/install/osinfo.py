"""The operating systems Debian's osinfo-db describes, read as data: names, release dates, sizes, firmware."""

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

OSINFO_DIR = Path(os.environ.get("VIRTCONSOLE_OSINFO_DIR", "/usr/share/osinfo"))
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    """vCPUs, memory (MiB) and disk (GiB) of one resources level; None where the database is silent."""

    vcpus: int | None = None
    memory_mib: int | None = None
    disk_gib: int | None = None

    def as_dict(self):
        return {"vcpus": self.vcpus, "memory_mib": self.memory_mib, "disk_gib": self.disk_gib}


@dataclass(frozen=True)
class OsVariant:
    """One operating system of the database, by its osinfo id and its short ids."""

    id: str
    short_id: str
    short_ids: tuple
    name: str
    vendor: str
    family: str
    release_date: str | None
    eol_date: str | None
    minimum: Sizes
    recommended: Sizes
    firmware: tuple = field(default_factory=tuple)  # x86_64 firmware the OS needs or supports: "efi", "bios"
    firmware_unsupported: tuple = field(default_factory=tuple)

    def as_dict(self):
        return {"id": self.id, "short_id": self.short_id, "short_ids": list(self.short_ids), "name": self.name,
                "vendor": self.vendor, "family": self.family, "release_date": self.release_date,
                "eol_date": self.eol_date, "minimum": self.minimum.as_dict(),
                "recommended": self.recommended.as_dict(), "firmware": list(self.firmware),
                "firmware_unsupported": list(self.firmware_unsupported)}

    def search_text(self):
        return " ".join((self.name, *self.short_ids, self.vendor, self.family)).lower()


def _plain_text(element, tag):
    """The text of the first child tag without xml:lang (the English one)."""
    for child in element.iterfind(tag):
        if child.get(_XML_LANG) is None:
            return (child.text or "").strip()
    return ""


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _sizes(level):
    if level is None:
        return Sizes()
    ram, storage = _int(level.findtext("ram")), _int(level.findtext("storage"))
    return Sizes(vcpus=_int(level.findtext("n-cpus")),
                 memory_mib=ram // MIB if ram else None,
                 disk_gib=-(-storage // (1024 * MIB)) if storage else None)


def _resources(os_element, level):
    """The level's sizes for x86_64, falling back to arch="all"; n-cpus, RAM and storage each on their own."""
    found = {}
    for arch in ("x86_64", "all"):
        for resources in os_element.iterfind(f"resources[@arch='{arch}']"):
            sizes = _sizes(resources.find(level))
            for key, value in sizes.as_dict().items():
                if value is not None and key not in found:
                    found[key] = value
    return Sizes(**found)


def _with_fallback(recommended, minimum):
    """Recommended sizes, the minimum standing in where the database recommends nothing (often n-cpus)."""
    return Sizes(**{key: value if value is not None else getattr(minimum, key)
                    for key, value in recommended.as_dict().items()})


def _variant(os_element):
    short_ids = tuple(element.text.strip() for element in os_element.iterfind("short-id") if element.text)
    if not short_ids:
        return None
    firmware = tuple(dict.fromkeys(element.get("type") for element in os_element.iterfind("firmware")
                                   if element.get("arch") == "x86_64" and element.get("supported") != "false"))
    unsupported = tuple(element.get("type") for element in os_element.iterfind("firmware")
                        if element.get("arch") == "x86_64" and element.get("supported") == "false")
    minimum = _resources(os_element, "minimum")
    return OsVariant(id=os_element.get("id"), short_id=short_ids[0], short_ids=short_ids,
                     name=_plain_text(os_element, "name") or short_ids[0],
                     vendor=_plain_text(os_element, "vendor"), family=_plain_text(os_element, "family"),
                     release_date=os_element.findtext("release-date"), eol_date=os_element.findtext("eol-date"),
                     minimum=minimum, recommended=_with_fallback(_resources(os_element, "recommended"), minimum),
                     firmware=firmware, firmware_unsupported=unsupported)


def read_variants(directory):
    """Every <os> in the database's os/ folder, newest release first."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    variants = []
    for path in sorted(Path(directory, "os").glob("**/*.xml")):
        try:
            root = etree.parse(str(path), parser).getroot()
        except (OSError, etree.XMLSyntaxError):
            continue  # one unreadable file should not hide the other operating systems
        for os_element in root.iterfind("os"):
            variant = _variant(os_element)
            if variant is not None:
                variants.append(variant)
    variants.sort(key=lambda variant: (variant.release_date or "", variant.name), reverse=True)
    return variants


@functools.cache
def _index(directory):
    variants = read_variants(directory)
    by_short_id = {}
    for variant in variants:
        for short_id in variant.short_ids:
            by_short_id.setdefault(short_id, variant)
    return variants, by_short_id


def variants():
    """All variants of the installed database, read once per process on first use."""
    return _index(str(OSINFO_DIR))[0]


def find(short_id):
    """The variant with this short id (e.g. "debian11"), or None."""
    return _index(str(OSINFO_DIR))[1].get(short_id)


def search(text="", limit=50):
    """Variants whose name, short ids, vendor or family hold every word of text; an exact short id first."""
    words = text.lower().split()
    exact = find(text.strip()) if text.strip() else None
    found = [exact] if exact else []
    for variant in variants():
        if limit is not None and len(found) >= limit:
            break
        if variant is not exact and all(word in variant.search_text() for word in words):
            found.append(variant)
    return found if limit is None else found[:limit]
