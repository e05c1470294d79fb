"""The permission vocabulary (libvirt's domain ACL names, the console's own, host-level ones) and the built-in roles."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# libvirt's own names for domain ACL checks (org.libvirt.api.domain.<name>),
# so an operator who knows polkit rules knows these.
DOMAIN_PERMISSIONS = {
    "getattr": _("See that the domain exists: its name, UUID, host and state."),
    "read": _("Read the domain's configuration (its XML without secrets) and statistics."),
    "read_secure": _("Read the configuration including secrets such as graphics passwords."),
    "write": _("Change the configuration: edit the definition, autostart, metadata."),
    "start": _("Start the domain."),
    "stop": _("Force the domain off (destroy)."),
    "reset": _("Reset the domain like a hardware reset button."),
    "save": _("Save the domain's memory to a file, or discard a saved image."),
    "delete": _("Undefine the domain."),
    "migrate": _("Migrate the domain to another host."),
    "snapshot": _("Create, revert to and delete snapshots."),
    "checkpoint": _("Create and delete checkpoints: take (with block_read) and delete backups."),
    "suspend": _("Pause and resume the domain's CPUs."),
    "hibernate": _("Save the domain to disk and stop it (managed save)."),
    "core_dump": _("Dump the domain's memory to a core file."),
    "pm_control": _("Use guest power management (suspend to RAM or disk, wake up)."),
    "init_control": _("Ask the guest to shut down or reboot (ACPI or agent)."),
    "inject_nmi": _("Inject a non-maskable interrupt into the guest."),
    "send_input": _("Send keys and pointer input to the guest."),
    "send_signal": _("Send a signal to a process inside the guest's container."),
    "fs_trim": _("Ask the guest to trim its filesystems."),
    "fs_freeze": _("Freeze and thaw the guest's filesystems."),
    "block_read": _("Read block device data and statistics directly."),
    "block_write": _("Resize, copy, commit and rebase block devices."),
    "mem_read": _("Peek at the guest's memory."),
    "open_graphics": _("Open the graphical console (VNC or SPICE)."),
    "open_device": _("Open the serial console or a character device."),
    "screenshot": _("Take a screenshot of the graphical console."),
    "open_namespace": _("Enter the domain's namespaces (containers)."),
    "set_time": _("Set the guest's clock."),
    "set_password": _("Set a password for a user inside the guest."),
}

# The console's own domain-level permissions: things libvirt has no ACL name for.
CONSOLE_PERMISSIONS = {
    "console_takeover": _("Take over a console another user has open."),
    "monitor_read": _("Run QEMU monitor commands that only display state."),
    "monitor_write": _("Run QEMU monitor commands that change the running VM."),
    "monitor_admin": _("Run QEMU monitor commands that change the VM's hardware or its QEMU process; "
                       "not those that name host files, descriptors, processes or network endpoints (monitor_host)."),
    "agent": _("Run commands through the QEMU guest agent."),
    "manage_grants": _("Give and take grants on this scope (never more than one holds)."),
}

# Permissions about a host as a whole: held through a host or a global grant only.
HOST_PERMISSIONS = {
    "define_domains": _("Define new domains on the host."),
    "daemon_read": _("Read the libvirt daemon's settings, clients and logging."),
    "daemon_write": _("Change the libvirt daemon's settings on the fly."),
    "manage_hosts": _("Add, change and remove hosts; setting or changing a host's URI needs a global grant."),
    "monitor_host": _("Run QEMU monitor commands that name host files, file descriptors, processes or network "
                      "endpoints (dump-guest-memory, migrate, screendump, chardev-add, ...): QEMU opens them as root."),
    # Host-equivalent: libvirtd and QEMU open whatever a definition names as root.
    "host_resources": _("Name host resources in a definition: host files and block devices, emulator, firmware, "
                        "kernel and NVRAM paths, character devices on host paths or sockets, host devices, "
                        "filesystem passthrough, qemu: elements, other hosts' storage, displays beyond loopback."),
    # Console-wide: held through a global grant (administrators).
    "manage_quotas": _("Set users' and groups' quotas and read anyone's usage (a global grant)."),
    "manage_templates": _("Create, change and delete domain templates, and turn a domain into one (a global grant)."),
}

# libvirt's ACL names for storage pools and their volumes (org.libvirt.api.storage-pool.<name> and
# storage-vol.<name>), prefixed with the object so they never mix with a domain's "read" or "delete".
# Held through a pool grant, a host grant or a global grant.
STORAGE_POOL_PERMISSIONS = {
    "storage_pool.getattr": _("See that the pool exists: its name, UUID, host, state and space."),
    "storage_pool.read": _("Read the pool's definition."),
    "storage_pool.start": _("Start (activate) the pool."),
    "storage_pool.stop": _("Stop (deactivate) the pool."),
    "storage_pool.refresh": _("Rescan the pool's volumes."),
    "storage_pool.search_storage_vols": _("List the pool's volumes."),
    "storage_pool.autostart": _("Start the pool with the daemon, or not."),
}
STORAGE_VOL_PERMISSIONS = {
    "storage_vol.getattr": _("See a volume of the pool: its name, path, format and sizes."),
    "storage_vol.read": _("Read a volume's definition."),
    "storage_vol.create": _("Create and clone volumes in the pool."),
    "storage_vol.delete": _("Delete volumes of the pool."),
    "storage_vol.resize": _("Grow or shrink volumes of the pool."),
    "storage_vol.format": _("Wipe volumes of the pool."),
    "storage_vol.data_read": _("Read a volume's data: download it, clone from it, use it as a backing file or a "
                               "read-only disk."),
    "storage_vol.data_write": _("Write a volume's data: upload into it, attach it as a writable disk."),
}
# Defining, building (formatting devices) and deleting a pool name host paths and devices that
# libvirtd opens as root: host-level, like host_resources.
STORAGE_HOST_PERMISSIONS = {
    "storage_pool.write": _("Define pools and change their definitions (they name host directories and devices)."),
    "storage_pool.format": _("Build a pool: create its directory, format its disk or file system."),
    "storage_pool.delete": _("Undefine pools and delete their storage on the host."),
}

# libvirt's ACL names for virtual networks (org.libvirt.api.network.<name>) and their ports
# (org.libvirt.api.network-port.<name>; libvirt's src/access/viraccessperm.c), prefixed like the storage ones.
# Held through a network grant, a host grant or a global grant.
NETWORK_PERMISSIONS = {
    "network.getattr": _("See that the network exists: its name, UUID, host, state and addresses."),
    "network.read": _("Read the network's definition, its revisions and its DHCP leases."),
    "network.delete": _("Undefine the network (its row, grants and history stay, marked gone)."),
    "network.start": _("Start the network: its bridge, DHCP and DNS server and firewall rules on the host."),
    "network.stop": _("Stop the network, cutting off the guests plugged into it."),
    "network.search_ports": _("List the ports (plugged-in interfaces) of the network."),
}
# A port is one guest interface plugged into the network: libvirt checks network_port.create on the network
# whenever a domain's <interface type='network'> is plugged in (virNetworkPortCreateXML).
NETWORK_PORT_PERMISSIONS = {
    "network_port.getattr": _("See the network's ports: which interface is plugged in."),
    "network_port.read": _("Read a port's definition (its MAC, bandwidth, the domain it belongs to)."),
    "network_port.write": _("Change a port's parameters (bandwidth) while it is plugged in."),
    "network_port.create": _("Plug interfaces into the network: put <interface type='network'> on it in the "
                             "definition of a domain the user may change."),
    "network_port.delete": _("Unplug interfaces from the network."),
}
# A network definition names host bridges and interfaces (forward dev=eth0), a hostdev pool and dnsmasq
# options that libvirtd hands to processes it runs as root: defining and changing one is host-level.
NETWORK_HOST_PERMISSIONS = {
    "network.write": _("Define networks, change their definitions and autostart (they name host bridges, host "
                       "interfaces and DNS/DHCP options)."),
    "network.save": _("Keep a network's definition on the host (a persistent network)."),
}

# libvirt's ACL names for the host's own interfaces (org.libvirt.api.interface.<name>) and network filters
# (org.libvirt.api.nwfilter.<name>): host-wide objects, so host-level.
HOST_INTERFACE_PERMISSIONS = {
    "interface.getattr": _("See the host's network interfaces and bridges: names and state."),
    "interface.read": _("Read the host's network interfaces and bridges: MAC, kind, members, addresses."),
}
NWFILTER_PERMISSIONS = {
    "nwfilter.getattr": _("See the host's network filters: names, chains, priorities, what uses them."),
    "nwfilter.read": _("Read a network filter's rules (its XML)."),
    "nwfilter.write": _("Define network filters and change their rules (applied at once to bound interfaces)."),
    "nwfilter.save": _("Keep a network filter's definition on the host."),
    "nwfilter.delete": _("Undefine network filters."),
}

PERMISSIONS = {**DOMAIN_PERMISSIONS, **CONSOLE_PERMISSIONS, **HOST_PERMISSIONS, **STORAGE_POOL_PERMISSIONS,
               **STORAGE_VOL_PERMISSIONS, **STORAGE_HOST_PERMISSIONS, **NETWORK_PERMISSIONS,
               **NETWORK_PORT_PERMISSIONS, **NETWORK_HOST_PERMISSIONS, **HOST_INTERFACE_PERMISSIONS,
               **NWFILTER_PERMISSIONS}
# Everything that applies to one domain (and, through a host or global grant, to many).
PER_DOMAIN = frozenset(DOMAIN_PERMISSIONS) | frozenset(CONSOLE_PERMISSIONS)
# Everything that applies to one pool (and, through a host or global grant, to every pool of a host).
PER_POOL = frozenset(STORAGE_POOL_PERMISSIONS) | frozenset(STORAGE_VOL_PERMISSIONS)
# Everything that applies to one network (and, through a host or global grant, to every network of a host).
PER_NETWORK = frozenset(NETWORK_PERMISSIONS) | frozenset(NETWORK_PORT_PERMISSIONS)
HOST_LEVEL = frozenset(HOST_PERMISSIONS) | frozenset(STORAGE_HOST_PERMISSIONS) | frozenset(NETWORK_HOST_PERMISSIONS)
HOST_LEVEL |= frozenset(HOST_INTERFACE_PERMISSIONS) | frozenset(NWFILTER_PERMISSIONS)

_VIEWER = ["getattr", "read"]
_CONSOLE_USER = _VIEWER + ["open_graphics", "open_device", "screenshot", "send_input"]
_OPERATOR = _CONSOLE_USER + [
    "start", "stop", "reset", "suspend", "init_control", "pm_control", "hibernate", "save", "inject_nmi",
    "set_time",
]
_POWER_USER = _OPERATOR + [
    "write", "read_secure", "snapshot", "checkpoint", "core_dump", "fs_trim", "fs_freeze", "block_read", "block_write",
    "mem_read", "send_signal", "open_namespace", "set_password", "console_takeover", "monitor_read",
    "monitor_write", "agent",
]

_POOL_VIEWER = ["storage_pool.getattr", "storage_pool.read", "storage_pool.search_storage_vols",
                "storage_vol.getattr", "storage_vol.read"]
_POOL_USER = _POOL_VIEWER + [
    "storage_pool.refresh", "storage_vol.create", "storage_vol.delete", "storage_vol.resize", "storage_vol.format",
    "storage_vol.data_read", "storage_vol.data_write",
]

_NETWORK_USER = ["network.getattr", "network.read", "network.search_ports", "network_port.getattr",
                 "network_port.read", "network_port.create", "network_port.delete"]

# name -> (what the role is for, its permissions). docs/permissions.md explains each.
BUILTIN_ROLES = {
    # Descriptions kept in the Role rows in English, said in the reader's language on the roles page.
    "Viewer": (gettext_noop("Sees the domain, its state and configuration; changes nothing."), _VIEWER),
    "Console user": (gettext_noop("Viewer, plus the serial and graphical consoles."), _CONSOLE_USER),
    "Operator": (gettext_noop("Console user, plus the power buttons: start, shut down, reboot, force off, pause, "
                              "save."), _OPERATOR),
    "Power user": (gettext_noop("Operator, plus configuration, snapshots, disks, guest agent and non-admin monitor "
                                "commands."), _POWER_USER),
    "Pool viewer": (gettext_noop("Sees a pool, its space and its volumes; changes nothing."), _POOL_VIEWER),
    "Pool user": (gettext_noop("Pool viewer, plus creating, resizing, wiping, deleting, uploading and downloading "
                               "volumes, and attaching them to domains the user may change."), _POOL_USER),
    "Network user": (gettext_noop("Sees a network, its definition and DHCP leases, and plugs the interfaces of "
                                  "domains the user may change into it."), _NETWORK_USER),
    "Administrator": (gettext_noop("Everything on the scope, including undefine, migration, any monitor command and "
                                   "grants."), sorted(PERMISSIONS)),
}

# Sentinels for routes that need no permission on an object.
PUBLIC = "public"  # anyone, signed in or not (the login page)
AUTHENTICATED = "authenticated"  # any signed-in user; the view shows only what they may see
ROUTE_SENTINELS = {PUBLIC: "Anyone, signed in or not.",
                   AUTHENTICATED: "Any signed-in user; the page shows only what the user may see."}


def unknown_permissions(names):
    """The names in names that are not permissions, in order."""
    return [name for name in names if name not in PERMISSIONS]


# What each route needs, for views that do not carry a route_permission() mark
# themselves; keyed by URL name, by "path:<pattern>" for an unnamed HTTP route,
# or by "ws:<pattern>" for websocket routes.
# A tuple: the request decides which one (the action or console kind it names).
# tests/access/test_route_coverage.py fails for any route in neither place.
LIFECYCLE_PERMISSIONS = ("start", "init_control", "stop", "reset", "suspend", "hibernate", "save", "write", "delete")
ROUTE_PERMISSIONS = {
    "login": PUBLIC,
    "logout": AUTHENTICATED,
    "dashboard": AUTHENTICATED,
    "domain-detail": "getattr",
    "domain-action": LIFECYCLE_PERMISSIONS,
    "host-list": AUTHENTICATED,
    "host-add": "manage_hosts",
    "host-update": "manage_hosts",
    "host-remove": "manage_hosts",
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api-version": PUBLIC,
    "api-hosts": {"GET": AUTHENTICATED, "POST": "manage_hosts"},
    "api-host": "getattr",
    "api-domains": AUTHENTICATED,
    "api-domain": "getattr",
    "api-domain-actions": LIFECYCLE_PERMISSIONS,
    "api-console-tickets": ("open_device", "open_graphics"),
    "path:api/v1/": PUBLIC,  # the catch-all that answers 404 in the API's error shape
    "ws:ws/v1/events": AUTHENTICATED,
    "ws:ws/v1/domains/<uuid:uuid>/serial": "open_device",
    "ws:ws/v1/domains/<uuid:uuid>/vnc": "open_graphics",
}
# Routes outside the console's permission model, each with the reason.
ROUTES_OUTSIDE = {
    "admin:": "Django's admin site: staff only, guarded by Django's own permissions.",
}
