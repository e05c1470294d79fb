"""What a structured create asks for (name, OS, sizes, firmware, install source, disks, interfaces, cloud-init),
read from the request and checked against the host before anything is made."""

import re
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.definitions.xml import DefinitionError
from domains.definitions.xml.errors import ValidationIssue
from domains.install import osinfo

INSTALL_KINDS = ("iso", "cloud-image", "network", "import")
FIRMWARES = ("bios", "uefi", "uefi-secure")
DISK_FORMATS = ("qcow2", "raw")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_USER_RE = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")
GIB = 1024 ** 3
# Also a template's refusal (domain_templates).
DISK_FORMAT_REFUSED = _("Disk format {format} is not offered: use qcow2 or raw.")


class InstallError(DefinitionError):
    """A create request the host cannot carry out as asked; nothing was made."""

    code = "invalid_install"

    def __str__(self):
        # The message may be said lazily (domains.words), which DefinitionError's issue would hand back unsaid.
        return str(ValidationIssue(str(self.message), self.line, self.column, self.path))


@dataclass(frozen=True)
class VolumeRef:
    pool: str
    volume: str

    def __str__(self):
        return f"{self.pool}/{self.volume}"


@dataclass
class NewDisk:
    pool: str
    size_gib: int
    format: str = "qcow2"


@dataclass
class CloudInit:
    user: str = ""
    password: str = ""  # in clear only in this request: the seed holds its SHA-512 crypt hash
    ssh_keys: list = field(default_factory=list)
    hostname: str = ""
    user_data: str = ""
    pool: str = ""


@dataclass
class InstallPlan:
    name: str
    install_kind: str
    install_volume: VolumeRef | None = None
    image_mode: str = "clone"  # cloud-image: "clone" (a copy of its own) or "link" (a qcow2 overlay on it)
    image_pool: str = ""  # where the cloud image's copy or overlay goes (the image's pool by default)
    os: osinfo.OsVariant | None = None
    vcpus: int = 1
    memory_mib: int = 512
    firmware: str = "bios"
    disks: list = field(default_factory=list)
    networks: list = field(default_factory=list)
    cloud_init: CloudInit | None = None
    start: bool = False
    reason: str = ""

    @property
    def copies_an_image(self):
        return self.install_kind == "cloud-image" and self.image_mode == "clone"


def _volume_ref(value, field_name):
    text = value if isinstance(value, str) else ""
    pool, _slash, volume = text.partition("/")
    if not pool or not volume or "/" in volume:
        raise InstallError(format_lazy(_("{field} {value} does not name a volume: write it as 'pool/volume'."),
                                       field=field_name, value=repr(value)), path=field_name)
    return VolumeRef(pool, volume)


def _positive(value, what, upper):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= upper:
        raise InstallError(format_lazy(_("{field} must be a whole number from 1 to {upper}; {value} is not."),
                                       field=what, upper=upper, value=repr(value)))
    return value


def _cloud_init(body):
    if body is None:
        return None
    if not isinstance(body, dict):
        raise InstallError(_('cloud_init is an object: {"user", "password", "ssh_keys", "hostname", "user_data"}.'))
    unknown = set(body) - {"user", "password", "ssh_keys", "hostname", "user_data", "pool"}
    if unknown:
        raise InstallError(format_lazy(_("cloud_init has no field {field}; use user, password, ssh_keys, hostname, "
                                         "user_data or pool."), field=repr(min(unknown))))
    seed = CloudInit(**{key: value for key, value in body.items() if value is not None})
    if seed.user and not _USER_RE.match(seed.user):
        raise InstallError(format_lazy(_("{user} is not a Linux user name: lower-case letters, digits, '_' or '-', "
                                         "starting with a letter (up to 32)."), user=repr(seed.user)))
    if seed.password and not seed.user:
        raise InstallError(_("A cloud-init password belongs to a user: give the user name too."))
    if seed.hostname and not _HOSTNAME_RE.match(seed.hostname):
        raise InstallError(format_lazy(_("{hostname} is not a host name: letters, digits and '-' (up to 63)."),
                                       hostname=repr(seed.hostname)))
    if not isinstance(seed.ssh_keys, list) or any(not isinstance(key, str) or "\n" in key.strip()
                                                  or not key.strip() for key in seed.ssh_keys):
        raise InstallError(_("ssh_keys is a list of public keys, one line each (e.g. 'ssh-ed25519 AAAA... me')."))
    if not isinstance(seed.user_data, str):
        raise InstallError(_("user_data is cloud-config text (YAML), e.g. 'packages: [nginx]'."))
    return seed


def read_plan(body):
    """The InstallPlan of a create request body (a dict as the API validated it); InstallError otherwise."""
    name = body.get("name") or ""
    if not _NAME_RE.match(name):
        raise InstallError(format_lazy(_("{name} is not a usable domain name: use letters, digits, '.', '_' or '-' "
                                         "(up to 63), starting with a letter or digit."), name=repr(name)), path="name")
    install = body.get("install") or {}
    kind = install.get("kind")
    if kind not in INSTALL_KINDS:
        raise InstallError(format_lazy(_("install.kind {kind} is not an install source: use {kinds}."),
                                       kind=repr(kind), kinds=", ".join(INSTALL_KINDS)))
    plan = InstallPlan(name=name, install_kind=kind, start=bool(body.get("start")), reason=body.get("reason") or "")
    if kind in ("iso", "cloud-image", "import"):
        plan.install_volume = _volume_ref(install.get("volume"), "install.volume")
    if kind == "cloud-image":
        plan.image_mode = install.get("mode") or "clone"
        if plan.image_mode not in ("clone", "link"):
            raise InstallError(_("install.mode is 'clone' (a copy of the image) or 'link' (a qcow2 overlay on it)."))
        plan.image_pool = install.get("pool") or plan.install_volume.pool
    if body.get("os"):
        plan.os = osinfo.find(body["os"])
        if plan.os is None:
            raise InstallError(format_lazy(_("osinfo knows no operating system {os}: pick a short id from GET "
                                             "/api/v1/os-variants, e.g. debian11."), os=repr(body["os"])), path="os")
    recommended = plan.os.recommended if plan.os else osinfo.Sizes()
    plan.vcpus = _positive(body.get("vcpus") or recommended.vcpus or 1, "vcpus", 4096)
    plan.memory_mib = _positive(body.get("memory_mib") or recommended.memory_mib or 512, "memory_mib", 16 * 1024 * 1024)
    plan.firmware = body.get("firmware") or "bios"
    if plan.firmware not in FIRMWARES:
        raise InstallError(format_lazy(_("firmware {firmware} is not one of {firmwares}."),
                                       firmware=repr(plan.firmware), firmwares=", ".join(FIRMWARES)))
    for disk in body.get("disks") or []:
        if not isinstance(disk, dict) or not disk.get("pool"):
            raise InstallError(_('Each of disks is {"pool": <pool name>, "size_gib": <GiB>, "format": "qcow2"|"raw"}.'))
        size = _positive(disk.get("size_gib") or recommended.disk_gib or 10, "disks[].size_gib", 65536)
        fmt = disk.get("format") or "qcow2"
        if fmt not in DISK_FORMATS:
            raise InstallError(format_lazy(DISK_FORMAT_REFUSED, format=repr(fmt)))
        plan.disks.append(NewDisk(disk["pool"], size, fmt))
    for interface in body.get("interfaces") or []:
        if not isinstance(interface, dict) or not isinstance(interface.get("network"), str) or not interface["network"]:
            raise InstallError(_('Each of interfaces is {"network": <network name>}.'))
        plan.networks.append(interface["network"])
    plan.cloud_init = _cloud_init(body.get("cloud_init"))
    if plan.cloud_init is not None and not plan.cloud_init.hostname:
        plan.cloud_init.hostname = name if _HOSTNAME_RE.match(name) else ""
    return plan
