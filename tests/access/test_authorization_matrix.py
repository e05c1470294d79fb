"""For every route and every kind of user, a real request gets exactly the expected answer.

The expected answer comes from an independent model (the built-in roles' permission lists and
where each persona's grant is), never from domains.access.permissions itself:
signed out -> the login redirect (pages) or 403 not_authenticated (API); an object the persona
cannot see -> 404; a visible object without the permission -> 403 naming it; otherwise the
route's own success answer.
"""

import html
from dataclasses import dataclass, field

import pytest

from domains.access.permission_names import (
    AUTHENTICATED,
    BUILTIN_ROLES,
    HOST_LEVEL,
    PUBLIC,
)
from tests.access.routes import http_key, http_routes
from tests.conftest import ROLE_PERSONAS

# The roles that mean something on a domain (the pool roles are tested on pools).
PERSONAS = ["anonymous", "outsider", *ROLE_PERSONAS, "other-domain", "admin"]


@dataclass
class Case:
    key: str  # the route's URL name (or path:<pattern>)
    method: str
    path: str  # formatted with {d} domain uuid, {h} host id, {g} grant id, {u} a user id, {grp} a group id
    need: str  # a permission, AUTHENTICATED or PUBLIC
    scope: str = "domain"  # where need is checked: domain, host or global
    api: bool = False
    body: dict = field(default_factory=dict)
    ok: int = 200
    grant_object: bool = False  # the object is a grant: only its scope's managers see it
    running: bool | None = None  # the domain's state before the request, if it matters
    revision: bool = False  # the domain's first definition revision must be recorded first
    also: tuple = ()  # ((permission, scope), ...) checked once need is held: the first one missing is named

    @property
    def id(self):
        extra = self.body.get("action") or self.body.get("kind") or self.body.get("token") or ""
        return f"{self.key}-{self.method}{'-' + extra if extra else ''}"


def page(key, method, path, need, scope="domain", **kw):
    return Case(key, method, path, need, scope, api=False, **kw)


def api(key, method, path, need, scope="domain", **kw):
    return Case(key, method, path, need, scope, api=True, **kw)


D = "/domains/{d}"
NO_DAEMON = 409  # measured: what the daemon routes answer for a host without a libvirt daemon
QEMU_ONLY = 502  # libvirt's refusal, passed on: the request got past every permission check (422 for the agent)
POOL = "/api/v1/hosts/{h}/pools/matrix-pool"
POOL_PAGE = "/hosts/{h}/pools/matrix-pool"
NETWORK = "/api/v1/hosts/{h}/networks/matrix-net"
NETWORK_PAGE = "/hosts/{h}/networks/matrix-net"
CASES = [
    page("login", "GET", "/login/", PUBLIC),
    page("logout", "POST", "/logout/", AUTHENTICATED, ok=302),
    page("dashboard", "GET", "/", AUTHENTICATED),
    page("domain-detail", "GET", D + "/", "getattr"),
    page("domain-summary", "GET", D + "/summary/", "getattr"),
    page("domain-tags", "POST", D + "/tags/", "write", ok=302, body={"tags": "matrix"}),
    page("domain-action", "POST", D + "/actions/autostart_on/", "write", ok=302, body={"action": "autostart_on"}),
    page("domain-action", "POST", D + "/actions/start/", "start", ok=302, body={"action": "start"}, running=False),
    page("domain-action", "POST", D + "/actions/destroy/", "stop", ok=302, body={"action": "destroy"}, running=True),
    page("domain-action", "POST", D + "/actions/undefine/", "delete", ok=302,
         body={"action": "undefine", "confirm_name": "vm0000"}),
    # Each domain is checked on its own (a refusal or a skip is told in the answer's message): signing in is enough.
    page("domain-bulk-action", "POST", "/domains/actions/", AUTHENTICATED, "global", ok=302,
         body={"action": "reboot", "uuid": "{d}"}, running=False),
    page("host-list", "GET", "/hosts/", AUTHENTICATED),
    page("host-add", "POST", "/hosts/add/", "manage_hosts", "global", ok=302,
         body={"name": "added", "uri": "test:///default"}),
    page("host-update", "POST", "/hosts/{h}/update/", "manage_hosts", "host", ok=302,
         body={"name": "matrix", "enabled": "on"}),
    page("host-remove", "POST", "/hosts/{h}/remove/", "manage_hosts", "host", ok=302),
    page("domain-access", "GET", D + "/access/", "manage_grants"),
    page("domain-access", "POST", D + "/access/", "manage_grants", ok=302,
         body={"role": "Viewer", "holder": "user:target-person"}),
    page("domain-audit", "GET", D + "/audit/", "read"),
    page("host-access", "GET", "/hosts/{h}/access/", "manage_grants", "host"),
    page("access-index", "GET", "/access/", "manage_grants", "global"),
    page("user-access", "GET", "/access/users/{u}/", "manage_grants", "global"),
    page("user-access", "POST", "/access/users/{u}/", "manage_grants", "global", ok=302,
         body={"role": "Viewer", "holder": "user:target-person", "scope": "domain:{d}"}),
    # People and groups: seen by who manages grants everywhere, changed by superusers only (the admin persona).
    page("user-list", "GET", "/access/users/", "manage_grants", "global"),
    page("user-create", "GET", "/access/users/new/", "manage_grants", "global"),
    page("user-create", "POST", "/access/users/new/", "manage_grants", "global", ok=302,
         body={"username": "matrix-new", "password": "plum-harbour-417", "password_again": "plum-harbour-417"}),
    page("user-active", "POST", "/access/users/{u}/active/", "manage_grants", "global", ok=302, body={"active": "0"}),
    page("user-password", "POST", "/access/users/{u}/password/", "manage_grants", "global", ok=302,
         body={"password": "plum-harbour-417", "password_again": "plum-harbour-417"}),
    page("group-list", "GET", "/access/groups/", "manage_grants", "global"),
    page("group-list", "POST", "/access/groups/", "manage_grants", "global", ok=302, body={"name": "matrix-made"}),
    page("group-detail", "GET", "/access/groups/{grp}/", "manage_grants", "global"),
    page("group-detail", "POST", "/access/groups/{grp}/", "manage_grants", "global", ok=302,
         body={"role": "Viewer", "holder": "group:matrix-group", "scope": "everything"}),
    page("group-rename", "POST", "/access/groups/{grp}/rename/", "manage_grants", "global", ok=302,
         body={"name": "matrix-renamed"}),
    page("group-delete", "POST", "/access/groups/{grp}/delete/", "manage_grants", "global", ok=302),
    page("group-members", "POST", "/access/groups/{grp}/members/", "manage_grants", "global", ok=302,
         body={"username": "target-person", "change": "add"}),
    page("grant-revoke", "POST", "/access/grants/{g}/revoke/", "manage_grants", ok=302, grant_object=True),
    page("role-list", "GET", "/access/roles/", AUTHENTICATED),
    page("role-list", "POST", "/access/roles/", "manage_grants", "global", ok=302,
         body={"name": "Rebooter", "permissions": ["getattr", "init_control"]}),
    page("audit-log", "GET", "/audit/", AUTHENTICATED),
    page("account", "GET", "/account/", AUTHENTICATED),
    # A new token is shown in the answer to the POST that made it (never in a cookie): 200, not a redirect.
    page("account", "POST", "/account/", AUTHENTICATED, ok=200, body={"token": "create"}),
    api("api-schema", "GET", "/api/v1/schema/", PUBLIC),
    api("api-docs", "GET", "/api/v1/docs/", PUBLIC),
    api("api-version", "GET", "/api/v1/version", PUBLIC),
    api("path:api/v1/", "GET", "/api/v1/no-such-endpoint", PUBLIC, ok=404),
    api("api-hosts", "GET", "/api/v1/hosts", AUTHENTICATED),
    api("api-hosts", "POST", "/api/v1/hosts", "manage_hosts", "global", ok=201,
        body={"name": "added", "uri": "test:///default"}),
    api("api-host", "GET", "/api/v1/hosts/{h}", "getattr", "host"),
    api("api-host", "PATCH", "/api/v1/hosts/{h}", "manage_hosts", "host", body={"name": "renamed-by-api"}),
    api("api-host", "DELETE", "/api/v1/hosts/{h}", "manage_hosts", "host", ok=204),
    api("api-domains", "GET", "/api/v1/domains", AUTHENTICATED),
    api("api-domain", "GET", "/api/v1" + D, "getattr"),
    api("api-domain", "PATCH", "/api/v1" + D, "write", body={"title": "patched by the matrix"}),
    api("api-domain-tags", "GET", "/api/v1" + D + "/tags", "getattr"),
    api("api-domain-tags", "PUT", "/api/v1" + D + "/tags", "write", body={"tags": ["matrix"]}),
    api("api-domain-actions", "POST", "/api/v1" + D + "/actions", "write", body={"action": "autostart_on"}),
    api("api-domain-actions", "POST", "/api/v1" + D + "/actions", "start", body={"action": "start"}, running=False),
    api("api-domain-actions", "POST", "/api/v1" + D + "/actions", "init_control", body={"action": "reboot"},
        running=True),
    api("api-domain-interfaces", "GET", "/api/v1" + D + "/interfaces", "read"),
    # Plugging into matrix-net also needs network_port.create on it, which no persona but the administrator holds
    # (tests/networks/test_interface_policy.py): here an interface without a source, refused past the permission.
    api("api-domain-interfaces", "POST", "/api/v1" + D + "/interfaces", "write", ok=400, running=False,
        body={"type": "network", "mac": "52:54:00:77:00:01"}),
    # The target has no interface with this MAC: whoever may change interfaces learns that (404), the others
    # are refused before any lookup.
    api("api-domain-interface", "PATCH", "/api/v1" + D + "/interfaces/52:54:00:77:00:02", "write", ok=404,
        body={"link": "down"}),
    api("api-domain-interface", "DELETE", "/api/v1" + D + "/interfaces/52:54:00:77:00:02", "write", ok=404),
    # Snapshots: changes are refused past the permission check (a bad name, a snapshot the domain lacks), so no
    # job runs here; tests/snapshots covers the jobs.
    api("api-domain-snapshots", "GET", "/api/v1" + D + "/snapshots", "read"),
    api("api-domain-snapshots", "POST", "/api/v1" + D + "/snapshots", "snapshot", ok=400, body={"name": "../matrix"}),
    api("api-domain-snapshot", "GET", "/api/v1" + D + "/snapshots/matrix-none", "read", ok=404),
    api("api-domain-snapshot", "DELETE", "/api/v1" + D + "/snapshots/matrix-none", "snapshot", ok=404),
    api("api-domain-snapshot-revert", "POST", "/api/v1" + D + "/snapshots/matrix-none/revert", "snapshot", ok=404),
    # Installing an OS: the OS list, the install page (its create posts are tests/install's), media (a drive the
    # domain lacks: refused past the permission check)
    api("api-os-variants", "GET", "/api/v1/os-variants", AUTHENTICATED),
    page("install", "GET", "/install/", AUTHENTICATED),
    api("api-domain-media", "POST", "/api/v1" + D + "/media", "write", ok=404, body={"device": "hdz", "volume": None}),
    # Quotas: anyone reads their own; administrators (a global manage_quotas) set them.
    api("api-quotas", "GET", "/api/v1/quotas", AUTHENTICATED),
    api("api-quotas", "PATCH", "/api/v1/quotas", "manage_quotas", "global", body={"user": "{u}", "max_domains": 5}),
    # Templates: anyone lists and reads them; administrators (a global manage_templates) make, change and delete
    # them; turning a domain into one reads it (read), then needs manage_templates everywhere.
    api("api-templates", "GET", "/api/v1/templates", AUTHENTICATED),
    api("api-templates", "POST", "/api/v1/templates", "manage_templates", "global", ok=201,
        body={"name": "matrix", "install": {"kind": "network"}}),
    api("api-template", "GET", "/api/v1/templates/999999", AUTHENTICATED, ok=404),
    api("api-template", "PATCH", "/api/v1/templates/999999", "manage_templates", "global", ok=404,
        body={"vcpus": 2}),
    api("api-template", "DELETE", "/api/v1/templates/999999", "manage_templates", "global", ok=404),
    api("api-domain-template", "POST", "/api/v1" + D + "/template", "read", ok=201, body={"name": "matrix"},
        also=(("manage_templates", "global"),)),
    page("templates", "GET", "/templates/", AUTHENTICATED),
    page("template-add", "POST", "/templates/add/", "manage_templates", "global", ok=302,
         body={"name": "matrix", "kind": "network"}),
    page("template-delete", "POST", "/templates/999999/delete/", "manage_templates", "global", ok=404),
    # Creating from a missing template is refused past the host's define_domains check (404 for the template).
    page("template-use", "POST", "/templates/999999/create/", "define_domains", "host", ok=404,
         body={"host": "{h}", "name": "matrix"}),
    # Backups: changes are refused past the permission check (an unknown kind, a backup the domain lacks); the
    # jobs run in tests/backups.
    api("api-domain-backups", "GET", "/api/v1" + D + "/backups", "read"),
    api("api-domain-backups", "POST", "/api/v1" + D + "/backups", "checkpoint", ok=400,
        body={"kind": "weekly", "pool": "matrix-pool"}),
    api("api-domain-backup", "GET", "/api/v1" + D + "/backups/999999", "read", ok=404),
    api("api-domain-backup", "DELETE", "/api/v1" + D + "/backups/999999", "checkpoint", ok=404),
    api("api-domain-backup-restore", "POST", "/api/v1" + D + "/backups/999999/restore", "write", ok=404,
        body={"mode": "over", "pool": "matrix-pool"}),
    # A migration needs migrate on the domain, then write and start on the destination: an unknown destination is
    # refused past the first check; tests/migration covers the moves.
    api("api-domain-migrate", "POST", "/api/v1" + D + "/migrate", "migrate", ok=404, body={"destination": 999999}),
    # A clone reads the domain (read) and makes one on its host (define_domains, checked next); a bad
    # name is refused past both checks, so no job runs here; tests/clones covers the jobs.
    api("api-domain-clone", "POST", "/api/v1" + D + "/clone", "read", ok=400, body={"name": "../matrix"},
        also=(("define_domains", "host"),)),
    api("api-console-tickets", "POST", "/api/v1" + D + "/console-tickets", "open_device", ok=201,
        body={"kind": "serial"}),
    api("api-console-tickets", "POST", "/api/v1" + D + "/console-tickets", "open_graphics", ok=201,
        body={"kind": "vnc"}),
    api("api-grants", "GET", "/api/v1/grants", AUTHENTICATED),
    api("api-grants", "POST", "/api/v1/grants", "manage_grants", ok=201,
        body={"user": "outsider-two", "role": "Viewer", "domain": "{d}"}),
    api("api-grant", "GET", "/api/v1/grants/{g}", "manage_grants", grant_object=True),
    api("api-grant", "DELETE", "/api/v1/grants/{g}", "manage_grants", ok=204, grant_object=True),
    api("api-roles", "GET", "/api/v1/roles", AUTHENTICATED),
    api("api-roles", "POST", "/api/v1/roles", "manage_grants", "global", ok=201,
        body={"name": "Rebooter", "permissions": ["getattr", "init_control"]}),
    api("api-audit", "GET", "/api/v1/audit", AUTHENTICATED),
    api("api-users", "GET", "/api/v1/users", "manage_grants", "global"),
    api("api-users", "POST", "/api/v1/users", "manage_grants", "global", ok=201,
        body={"username": "matrix-new", "password": "plum-harbour-417"}),
    api("api-user", "GET", "/api/v1/users/{u}", "manage_grants", "global"),
    api("api-user", "PATCH", "/api/v1/users/{u}", "manage_grants", "global", body={"is_active": False}),
    api("api-groups", "GET", "/api/v1/groups", "manage_grants", "global"),
    api("api-groups", "POST", "/api/v1/groups", "manage_grants", "global", ok=201, body={"name": "matrix-made"}),
    api("api-group", "GET", "/api/v1/groups/{grp}", "manage_grants", "global"),
    api("api-group", "PATCH", "/api/v1/groups/{grp}", "manage_grants", "global", body={"name": "matrix-renamed"}),
    api("api-group", "DELETE", "/api/v1/groups/{grp}", "manage_grants", "global", ok=204),
    api("api-group-member", "PUT", "/api/v1/groups/{grp}/members/target-person", "manage_grants", "global"),
    api("api-group-member", "DELETE", "/api/v1/groups/{grp}/members/target-person", "manage_grants", "global",
        ok=204),
    # Live sessions' pages (the websocket routes are checked in tests/consoles)
    page("console-serial", "GET", D + "/console/serial/", "open_device"),
    page("console-vnc", "GET", D + "/console/vnc/", "open_graphics"),
    # QEMU extras: the test driver has no QEMU monitor or agent, so allowed calls end in libvirt's refusal
    api("qemu-api-version", "GET", "/api/qemu/v1/version", AUTHENTICATED),
    api("qemu-api-monitor", "POST", "/api/qemu/v1" + D + "/monitor", "monitor_read", ok=QEMU_ONLY,
        body={"command": "info status", "hmp": True}, running=True),
    api("qemu-api-agent", "POST", "/api/qemu/v1" + D + "/agent", "agent", ok=422,
        body={"command": '{"execute": "guest-ping"}'}, running=True),
    api("qemu-api-taints", "GET", "/api/qemu/v1" + D + "/taints", "read"),
    api("qemu-api-extras", "GET", "/api/qemu/v1" + D + "/extras", "read"),
    api("qemu-api-rewrites", "POST", "/api/qemu/v1" + D + "/rewrites", "write", ok=400, body={"index": 99}),
    api("qemu-api-commandline", "GET", "/api/qemu/v1" + D + "/commandline", "read"),
    api("qemu-api-commandline", "POST", "/api/qemu/v1" + D + "/commandline", "write",
        body={"args": [], "dry_run": True}),
    page("qemu-monitor", "GET", "/qemu" + D + "/monitor/", "monitor_read"),
    page("qemu-commandline", "GET", "/qemu" + D + "/commandline/", "write"),
    page("qemu-rewrite", "GET", "/qemu" + D + "/rewrites/0/", "write", ok=302),
    # Definitions and their revisions (revision 1 is recorded first, through the API, as an admin)
    page("domain-definition", "GET", D + "/definition/", "read"),
    page("domain-definition-form", "POST", D + "/definition/edit/general/", "write", ok=302,
         body={"title": "matrix"}),
    page("domain-definition-xml", "GET", D + "/definition/xml/", "read"),
    page("domain-definition-xml", "POST", D + "/definition/xml/", "write", ok=400, body={"xml": "<domain"}),
    page("domain-definition-export", "GET", D + "/definition/export/", "read"),
    page("domain-definition-history", "GET", D + "/definition/history/", "read"),
    page("domain-definition-revision", "GET", D + "/definition/history/1/", "read", revision=True),
    page("domain-definition-rollback", "POST", D + "/definition/history/1/rollback/", "write", ok=302,
         revision=True),
    page("host-domain-create", "GET", "/hosts/{h}/domains/new/", "define_domains", "host"),
    page("host-domain-import", "GET", "/hosts/{h}/domains/import/", "define_domains", "host"),
    api("api-domain", "PATCH", "/api/v1" + D, "write", body={"title": "matrix"}),
    api("api-domain-xml", "GET", "/api/v1" + D + "/xml", "read"),
    api("api-domain-xml", "PUT", "/api/v1" + D + "/xml", "write", ok=400, body={"xml": "<domain"}),
    api("api-domain-xml-validate", "POST", "/api/v1/domain-xml/validate", AUTHENTICATED,
        body={"xml": "<domain/>"}),
    api("api-revisions", "GET", "/api/v1" + D + "/revisions", "read"),
    api("api-revision", "GET", "/api/v1" + D + "/revisions/1", "read", revision=True),
    api("api-revision-diff", "GET", "/api/v1" + D + "/revisions/diff?from=1&to=1", "read", revision=True),
    api("api-revision-rollback", "POST", "/api/v1" + D + "/revisions/1/rollback", "write", revision=True),
    api("api-host-domains", "POST", "/api/v1/hosts/{h}/domains", "define_domains", "host", ok=400,
        body={"xml": "<domain"}),
    # The host's libvirt daemon: a test:/// host has none, so allowed calls end in the console's explanation
    api("api-host-daemon", "GET", "/api/v1/hosts/{h}/daemon", "daemon_read", "host"),
    api("api-host-daemon", "PATCH", "/api/v1/hosts/{h}/daemon", "daemon_write", "host", ok=NO_DAEMON,
        body={"threadpool": {"max_workers": 20}}),
    api("api-host-daemon-revisions", "GET", "/api/v1/hosts/{h}/daemon/revisions", "daemon_read", "host"),
    api("api-host-daemon-client-disconnect", "POST", "/api/v1/hosts/{h}/daemon/clients/1/disconnect",
        "daemon_write", "host", ok=NO_DAEMON),
    api("api-host-daemon-tls-reload", "POST", "/api/v1/hosts/{h}/daemon/tls-reload", "daemon_write", "host",
        ok=NO_DAEMON),
    page("host-daemon", "GET", "/hosts/{h}/daemon/", "daemon_read", "host"),
    page("host-daemon-apply", "POST", "/hosts/{h}/daemon/apply/", "daemon_write", "host", ok=NO_DAEMON,
         body={"group": "threadpool", "server": "libvirtd", "max_workers": "20"}),
    page("host-daemon-disconnect", "POST", "/hosts/{h}/daemon/clients/1/disconnect/", "daemon_write", "host", ok=302),
    page("host-daemon-tls-reload", "POST", "/hosts/{h}/daemon/tls-reload/", "daemon_write", "host", ok=302),
    page("host-daemon-rollback", "POST", "/hosts/{h}/daemon/revisions/1/rollback/", "daemon_write", "host", ok=302),
    # Jobs: visible ones only; a job no persona may see (here: none exists) answers 404 to everyone signed in.
    # tests/jobs covers who sees and cancels which job.
    page("job-list", "GET", "/jobs/", AUTHENTICATED),
    page("job-cancel", "POST", "/jobs/999999/cancel/", AUTHENTICATED, ok=404),
    api("api-jobs", "GET", "/api/v1/jobs", AUTHENTICATED),
    api("api-job", "GET", "/api/v1/jobs/999999", AUTHENTICATED, ok=404),
    api("api-job-cancel", "POST", "/api/v1/jobs/999999/cancel", AUTHENTICATED, ok=404),
    api("api-job-postcopy", "POST", "/api/v1/jobs/999999/postcopy", AUTHENTICATED, ok=404),
    # Storage transfer routes answer per pool (tests/storage/test_transfer_*.py hold the pool-scoped cases on a
    # real libvirtd); here: sign-in and the host first.
    api("api-volume-content", "GET", POOL + "/volumes/matrix.img/content", "storage_vol.data_read", "pool",
        ok=QEMU_ONLY),
    # Pools of the world's host: listing and creating are host matters, the world's pool is seen by the
    # administrator only (tests/storage holds the pool roles' cases).
    api("api-host-pools", "GET", "/api/v1/hosts/{h}/pools", "getattr", "host"),
    api("api-host-pools", "POST", "/api/v1/hosts/{h}/pools", "storage_pool.write", "host", ok=201,
        body={"name": "made-pool", "type": "dir", "target": "/var/lib/libvirt/images/made-pool"}),
    api("api-host-pool-types", "GET", "/api/v1/hosts/{h}/pool-types", "getattr", "host"),
    api("api-host-pool", "GET", POOL, "storage_pool.getattr", "pool"),
    api("api-host-pool", "PATCH", POOL, "storage_pool.autostart", "pool", ok=QEMU_ONLY, body={"autostart": True}),
    api("api-host-pool", "DELETE", POOL, "storage_pool.delete", "pool", ok=204),
    api("api-host-pool-actions", "POST", POOL + "/actions", "storage_pool.refresh", "pool",
        body={"action": "refresh"}),
    # Networks of the world's host: listing and defining are host matters, the world's network is seen by
    # the administrator only (tests/networks holds the network grants' cases).
    # The test driver has no DHCP leases: libvirt's refusal, past every check.
    api("api-host-networks", "GET", "/api/v1/hosts/{h}/networks", "network.getattr", "host"),
    api("api-host-networks", "POST", "/api/v1/hosts/{h}/networks", "network.write", "host", ok=201,
        body={"name": "made-net", "forward": "none"}),
    api("api-host-network", "GET", NETWORK, "network.getattr", "network"),
    api("api-host-network", "PATCH", NETWORK, "network.write", "network", body={"autostart": True}),
    api("api-host-network", "DELETE", NETWORK, "network.delete", "network", ok=204),
    api("api-host-network-actions", "POST", NETWORK + "/actions", "network.start", "network", body={"action": "start"}),
    api("api-host-network-leases", "GET", NETWORK + "/leases", "network.read", "network", ok=QEMU_ONLY),
    api("api-host-network-revisions", "GET", NETWORK + "/revisions", "network.read", "network"),
    api("api-host-network-revision", "GET", NETWORK + "/revisions/1", "network.read", "network"),
    api("api-host-network-revision-diff", "GET", NETWORK + "/revisions/diff?from=1&to=1", "network.read", "network"),
    api("api-host-network-revision-rollback", "POST", NETWORK + "/revisions/1/rollback", "network.write", "network",
        body={"reason": "matrix"}),
    api("api-host-network-dhcp-hosts", "GET", NETWORK + "/dhcp-hosts", "network.read", "network"),
    api("api-host-network-dhcp-hosts", "POST", NETWORK + "/dhcp-hosts", "network.write", "network", ok=201,
        body={"mac": "52:54:00:25:00:02", "ip": "192.168.250.6"}),
    api("api-host-network-dhcp-hosts", "DELETE", NETWORK + "/dhcp-hosts?mac=52:54:00:25:00:01", "network.write",
        "network", ok=204),
    api("api-host-network-dns-hosts", "GET", NETWORK + "/dns-hosts", "network.read", "network"),
    api("api-host-network-dns-hosts", "POST", NETWORK + "/dns-hosts", "network.write", "network", ok=201,
        body={"ip": "192.168.250.6", "hostnames": ["made"]}),
    api("api-host-network-dns-hosts", "DELETE", NETWORK + "/dns-hosts?ip=192.168.250.5", "network.write", "network",
        ok=204),
    api("api-host-interfaces", "GET", "/api/v1/hosts/{h}/interfaces", "interface.read", "host"),
    # The test driver has no nwfilter driver: the console's 409 saying so, past every check.
    api("api-host-nwfilters", "GET", "/api/v1/hosts/{h}/nwfilters", "nwfilter.getattr", "host", ok=NO_DAEMON),
    api("api-host-nwfilters", "POST", "/api/v1/hosts/{h}/nwfilters", "nwfilter.write", "host", ok=NO_DAEMON,
        body={"xml": "<filter name='matrix-filter' chain='root'/>"}),
    api("api-host-nwfilter", "GET", "/api/v1/hosts/{h}/nwfilters/matrix-filter", "nwfilter.read", "host",
        ok=NO_DAEMON),
    api("api-host-nwfilter", "PUT", "/api/v1/hosts/{h}/nwfilters/matrix-filter", "nwfilter.write", "host",
        ok=NO_DAEMON, body={"xml": "<filter name='matrix-filter' chain='root'/>"}),
    api("api-host-nwfilter", "DELETE", "/api/v1/hosts/{h}/nwfilters/matrix-filter", "nwfilter.delete", "host",
        ok=NO_DAEMON),
    page("network-list", "GET", "/hosts/{h}/networks/", "network.getattr", "host"),
    page("network-create", "GET", "/hosts/{h}/new-network/", "network.write", "host"),
    page("network-detail", "GET", NETWORK_PAGE + "/", "network.getattr", "network"),
    page("network-action", "POST", NETWORK_PAGE + "/actions/start/", "network.start", "network", ok=302),
    page("network-delete", "POST", NETWORK_PAGE + "/delete/", "network.delete", "network", ok=302),
    page("network-xml", "GET", NETWORK_PAGE + "/xml/", "network.read", "network"),
    page("network-rollback", "POST", NETWORK_PAGE + "/revisions/1/rollback/", "network.write", "network", ok=302),
    # Network filters are host-wide; the world's test host has no nwfilter driver, which the pages say (409) past
    # every check, and the define form checks the XML (400) before asking libvirt.
    page("nwfilter-list", "GET", "/hosts/{h}/nwfilters/", "nwfilter.getattr", "host"),
    page("nwfilter-detail", "GET", "/hosts/{h}/nwfilters/clean-traffic/", "nwfilter.read", "host", ok=NO_DAEMON),
    page("nwfilter-create", "GET", "/hosts/{h}/new-nwfilter/", "nwfilter.write", "host"),
    page("nwfilter-create", "POST", "/hosts/{h}/new-nwfilter/", "nwfilter.write", "host", ok=400,
         body={"xml": "<filter name='matrix'><rule/></filter>"}),
    page("network-access", "GET", NETWORK_PAGE + "/access/", "manage_grants", "network"),
    page("network-access", "POST", NETWORK_PAGE + "/access/", "manage_grants", "network", ok=302,
         body={"role": "Network user", "holder": "user:target-person"}),
    page("network-dhcp-host-add", "POST", NETWORK_PAGE + "/dhcp-hosts/add/", "network.write", "network", ok=302,
         body={"mac": "52:54:00:25:00:02", "ip": "192.168.250.6"}),
    page("network-dhcp-host-remove", "POST", NETWORK_PAGE + "/dhcp-hosts/remove/", "network.write", "network", ok=302,
         body={"mac": "52:54:00:25:00:01"}),
    page("network-dns-host-add", "POST", NETWORK_PAGE + "/dns-hosts/add/", "network.write", "network", ok=302,
         body={"ip": "192.168.250.6", "hostnames": "made"}),
    page("network-dns-host-remove", "POST", NETWORK_PAGE + "/dns-hosts/remove/", "network.write", "network", ok=302,
         body={"ip": "192.168.250.5"}),
    # The Interfaces card: changes need write and save (every role holding write holds save); the test host has
    # no network, so an add is refused after the checks (400); a MAC the domain lacks is said on the page (302).
    page("domain-interfaces", "GET", D + "/interfaces/", "read"),
    page("domain-interface-add", "POST", D + "/interfaces/add/", "write", ok=400,
         body={"type": "network", "network": "matrix-none"}),
    page("domain-interface-change", "POST", D + "/interfaces/52:54:00:00:00:99/change/", "write", ok=302,
         body={"link": "down"}),
    page("domain-interface-remove", "POST", D + "/interfaces/52:54:00:00:00:99/remove/", "write", ok=302),
    # The Snapshots page: refusals past the permission check are told on the page (302; a refused take renders the
    # form again with what was typed, 400), no job runs here.
    page("domain-snapshots", "GET", D + "/snapshots/", "read"),
    page("domain-snapshots-body", "GET", D + "/snapshots/body/", "read"),
    page("domain-snapshot-create", "POST", D + "/snapshots/new/", "snapshot", ok=400, body={"name": "../matrix"}),
    page("domain-snapshot-revert", "POST", D + "/snapshots/matrix-none/revert/", "snapshot", ok=302),
    page("domain-snapshot-delete", "POST", D + "/snapshots/matrix-none/delete/", "snapshot", ok=302),
    page("domain-backups", "GET", D + "/backups/", "read"),
    page("domain-backup-create", "POST", D + "/backups/new/", "checkpoint", ok=302, body={"kind": "weekly"}),
    page("domain-backup-restore", "POST", D + "/backups/999999/restore/", "write", ok=400, body={"mode": "over"}),
    page("domain-backup-delete", "POST", D + "/backups/999999/delete/", "checkpoint", ok=302),
    page("domain-clone", "GET", D + "/clone/", "read"),
    # A refused clone renders its form again with what was chosen (400).
    page("domain-clone", "POST", D + "/clone/", "read", ok=400, body={"name": "../matrix"},
         also=(("define_domains", "host"),)),
    page("pool-list", "GET", "/hosts/{h}/pools/", "getattr", "host"),
    page("pool-create", "GET", "/hosts/{h}/new-pool/", "storage_pool.write", "host"),
    page("pool-detail", "GET", POOL_PAGE + "/", "storage_pool.getattr", "pool"),
    page("pool-action", "POST", POOL_PAGE + "/actions/refresh/", "storage_pool.refresh", "pool", ok=302),
    page("pool-delete", "POST", POOL_PAGE + "/delete/", "storage_pool.delete", "pool", ok=302),
    page("pool-xml", "GET", POOL_PAGE + "/xml/", "storage_pool.read", "pool"),
    page("pool-revision", "GET", POOL_PAGE + "/history/1/", "storage_pool.read", "pool"),
    page("pool-access", "GET", POOL_PAGE + "/access/", "manage_grants", "pool"),
    page("host-isos", "GET", "/hosts/{h}/isos/", "getattr", "host"),
    page("host-iso-create", "POST", "/hosts/{h}/isos/new/", "getattr", "host", ok=400),  # no size: refused after
    # Volumes of the world's pool: only the administrator holds anything on it (the roles here are domain roles);
    # tests/storage covers the pool roles. The test driver cannot resize: libvirt's refusal, past every check.
    api("api-pool-volumes", "GET", POOL + "/volumes", "storage_pool.search_storage_vols", "pool"),
    api("api-pool-volumes", "POST", POOL + "/volumes", "storage_vol.create", "pool", ok=201,
        body={"name": "made.img", "capacity": 1048576}),
    api("api-pool-volume", "GET", POOL + "/volumes/matrix.img", "storage_vol.getattr", "pool"),
    api("api-pool-volume", "PATCH", POOL + "/volumes/matrix.img", "storage_vol.resize", "pool", ok=QEMU_ONLY,
        body={"capacity": 2097152}),
    api("api-pool-volume", "DELETE", POOL + "/volumes/matrix.img", "storage_vol.delete", "pool", ok=204),
    api("api-pool-volume-actions", "POST", POOL + "/volumes/matrix.img/actions", "storage_vol.format", "pool",
        ok=400, body={"action": "wipe", "algorithm": "nope"}),
    api("api-pool-volume-actions", "POST", POOL + "/volumes/matrix.img/actions", "storage_vol.data_read", "pool",
        ok=400, body={"action": "clone", "name": "../escape.img"}),
    page("pool-volumes", "GET", POOL_PAGE + "/volumes/", "storage_pool.getattr", "pool"),
    page("pool-volume-create", "POST", POOL_PAGE + "/volumes/new/", "storage_vol.create", "pool", ok=302,
         body={"name": "made.img", "capacity": "1"}),
    # The test driver cannot resize: the refusal comes back on the page with what was typed (400).
    page("pool-volume-resize", "POST", POOL_PAGE + "/volumes/matrix.img/resize/", "storage_vol.resize", "pool",
         ok=400, body={"capacity": "2"}),
    page("pool-volume-wipe", "POST", POOL_PAGE + "/volumes/matrix.img/wipe/", "storage_vol.format", "pool", ok=302,
         body={"algorithm": "nope"}),
    page("pool-volume-clone", "POST", POOL_PAGE + "/volumes/matrix.img/clone/", "storage_vol.data_read", "pool",
         ok=400, body={"name": "../escape.img"}),
    page("pool-volume-delete", "POST", POOL_PAGE + "/volumes/matrix.img/delete/", "storage_vol.delete", "pool",
         ok=302, body={"confirm": "on"}),
]


# --- the independent model of what each persona holds ---

def holds(persona, permission, scope):
    if persona == "admin":
        return True
    if permission == "getattr":
        return sees(persona, scope)  # seeing is holding getattr
    if persona not in ROLE_PERSONAS:
        return False
    # Each role persona holds its role on the target domain only.
    return scope == "domain" and permission not in HOST_LEVEL and permission in BUILTIN_ROLES[persona][1]


def sees(persona, scope):
    if persona == "admin":
        return True
    if scope == "global":
        return persona != "anonymous"
    if scope in ("pool", "network"):
        return False  # the world's pool and network are granted to nobody: the personas' roles are on a domain
    if persona in ROLE_PERSONAS:
        return True  # every built-in role has getattr on the domain, which shows its host too
    # other-domain: its domain is on the same host, so it sees the host but not the target domain.
    return persona == "other-domain" and scope == "host"


def expected(case, persona):
    """("ok", None) | ("login", None) | ("404", None) | ("403", permission)."""
    if case.need == PUBLIC:
        return "ok", None
    if persona == "anonymous":
        return "login", None
    if case.need == AUTHENTICATED or holds(persona, case.need, case.scope):
        missing = [need for need, scope in case.also if not holds(persona, need, scope)]
        return ("403", missing[0]) if missing else ("ok", None)
    if case.grant_object or not sees(persona, case.scope):
        return "404", None
    return "403", case.need


def _format(value, world):
    fields = {"d": world["target"].uuid, "h": world["host"].pk, "g": world["grant"].pk, "u": world["person"].pk}
    if isinstance(value, str) and "{grp}" in value:
        from django.contrib.auth.models import Group

        fields["grp"] = Group.objects.get_or_create(name="matrix-group")[0].pk
    if isinstance(value, str):
        for name, replacement in fields.items():
            value = value.replace("{" + name + "}", str(replacement))
        return value
    if isinstance(value, dict):
        return {k: _format(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_format(v, world) for v in value]
    return value


def _set_running(domain, running):
    from domains.access.lookups import libvirt_domain

    dom = libvirt_domain(domain)
    if running and not dom.isActive():
        dom.create()
    elif not running and dom.isActive():
        dom.destroy()


def _record_first_revision(world):
    from django.test import Client

    admin = Client()
    admin.force_login(world["people"]["admin"])
    assert admin.get(f"/api/v1/domains/{world['target'].uuid}/revisions").status_code == 200


def send(client, case, world):
    """Put the domain in the state case needs, then send case's request through client."""
    if case.running is not None:
        _set_running(world["target"], case.running)
    if case.revision:
        _record_first_revision(world)
    path, body = _format(case.path, world), _format(case.body, world)
    if case.api:
        return client.generic(case.method, path, data=__import__("json").dumps(body) if body else "",
                              content_type="application/json")
    if case.method == "GET":
        return client.get(path)
    return client.post(path, body)


def changes_the_world(case, persona):
    """True when case's request, asked as persona, may change what the next request sees: a change that is allowed.
    A refusal or a read changes nothing (other tests hold refusals to that)."""
    return case.method != "GET" and expected(case, persona)[0] == "ok"


def alone(cases):
    """The (case, persona) pairs that get a world of their own: each that may change the world, and every one of
    the administrator, so that each route's success path is a test of its own (the one the PostgreSQL run repeats).
    The other personas of a case ask one after another in one shared world."""
    return [(case, persona) for case in cases for persona in PERSONAS
            if persona == "admin" or changes_the_world(case, persona)]


def wrong_answer(answer, case, persona):
    """What is wrong with answer to case asked as persona, or None when it is exactly the expected one."""
    outcome, permission = expected(case, persona)
    text = html.unescape(answer.content.decode(errors="replace"))
    where = f"{case.method} {case.path} as {persona}: {answer.status_code} {text[:300]}"
    if outcome == "login":
        right = (answer.status_code == 403 and answer.json()["code"] == "not_authenticated" if case.api
                 else answer.status_code == 302 and answer["Location"].startswith("/login/?next="))
    elif outcome == "404":
        right = answer.status_code == 404
    elif outcome == "403":
        right = answer.status_code == 403 and (answer.json()["fields"]["permission"] == permission if case.api
                                               else f"'{permission}'" in text)
    else:
        right = answer.status_code == case.ok and not (
            case.ok == 302 and not case.api and answer["Location"].startswith("/login/?next="))
    return None if right else f"expected {outcome} {permission or ''}: {where}"


def asked_as(persona, world):
    from django.test import Client

    client = Client()
    if persona != "anonymous":
        client.force_login(world["people"][persona])
    return client


def check_together(world, case, alone_pairs):
    """Every persona of case not in alone_pairs, one after another in one world: each gets exactly its answer."""
    wrong = [wrong_answer(send(asked_as(persona, world), case, world), case, persona)
             for persona in PERSONAS if (case, persona) not in alone_pairs]
    assert not any(wrong), "\n".join(filter(None, wrong))


def check_alone(world, case, persona):
    wrong = wrong_answer(send(asked_as(persona, world), case, world), case, persona)
    assert not wrong, wrong


ALONE = alone(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_route_refuses_or_shows_each_persona_exactly(world, case):
    check_together(world, case, ALONE)


@pytest.mark.parametrize("case,persona", ALONE, ids=[f"{case.id}-{persona}" for case, persona in ALONE])
def test_each_route_answers_each_persona_exactly(world, case, persona):
    check_alone(world, case, persona)


def test_the_matrix_covers_every_route():
    covered = {case.key for case in CASES}
    missing = sorted(http_key(r.pattern, r.name) for r in http_routes() if http_key(r.pattern, r.name) not in covered)
    assert not missing, ("Routes without a case in the authorization matrix: add a Case to CASES in "
                         f"tests/access/test_authorization_matrix.py for each: {missing}")


def _declared_names(declared, method):
    if isinstance(declared, dict):
        declared = declared.get(method)
    if declared is None:
        return set()
    return {declared} if isinstance(declared, str) else set(declared)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_routes_declaration_tells_the_truth(case):
    """The permission a route declares is the one its requests are really checked against."""
    routes = {http_key(r.pattern, r.name): r for r in http_routes()}
    assert case.key in routes, f"{case.key} is not a route any more: remove its case"
    declared = _declared_names(routes[case.key].declared, case.method)
    assert case.need in declared, (f"{case.method} {routes[case.key].pattern} declares {sorted(declared)} but is "
                                   f"checked against '{case.need}': make the declaration say so "
                                   "(route_permission(GET=..., POST=...) for different methods)")


# --- the definition policy: `write` on a domain never names host resources ---

HOST_DISK = ("<disk type='file' device='disk'><source file='/etc/shadow'/><target dev='vda' bus='virtio'/></disk>")
POLICY_CASES = [
    api("api-domain-xml", "PUT", "/api/v1" + D + "/xml", "write"),
    page("domain-definition-xml", "POST", D + "/definition/xml/", "write", ok=302),
    api("api-revision-rollback", "POST", "/api/v1" + D + "/revisions/{r}/rollback", "write"),
    page("domain-definition-rollback", "POST", D + "/definition/history/{r}/rollback/", "write", ok=302),
    api("api-host-domains", "POST", "/api/v1/hosts/{h}/domains", "define_domains", "host", ok=201),
    api("qemu-api-commandline", "POST", "/api/qemu/v1" + D + "/commandline", "monitor_admin",
        body={"args": ["-msg", "timestamp=on"]}),
]


def _with_host_disk(xml):
    return xml.replace("</os>", "</os><devices>" + HOST_DISK + "</devices>", 1) if "<devices" not in xml else \
        xml.replace("</devices>", HOST_DISK + "</devices>", 1)


def _policy_world(world):
    """A revision with a host disk to roll back to (made and taken back by the admin); the XML to send."""
    from django.test import Client

    from domains.definitions.actions import do_define

    target, admin = world["target"], world["people"]["admin"]
    current = Client()
    current.force_login(admin)
    plain = current.get(f"/api/v1/domains/{target.uuid}/xml").json()["xml"]
    with_disk = do_define(admin, target, _with_host_disk(plain)).revision.number
    do_define(admin, target, plain)
    new_domain = (plain.replace("vm0000", "vm-new").replace(str(target.uuid), "00000000-0000-4000-8000-0000000000ff"))
    return {"r": with_disk, "xml": _with_host_disk(plain), "new": _with_host_disk(new_domain)}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", POLICY_CASES, ids=[c.id for c in POLICY_CASES])
def test_each_definition_route_refuses_host_resources_to_all_but_host_administrators(client, world, case, persona):
    from domains.access.models import AuditEntry
    from domains.definitions.policy import HOST_RESOURCES

    made = _policy_world(world)
    before = world["target"].revisions.count()
    if persona != "anonymous":
        client.force_login(world["people"][persona])
    path = _format(case.path, world).replace("{r}", str(made["r"]))
    body = {"xml": made["new"] if case.scope == "host" else made["xml"]} if "rollback" not in path else {}
    body = case.body or body
    if case.api:
        answer = client.generic(case.method, path, data=__import__("json").dumps(body),
                                content_type="application/json")
    else:
        answer = client.post(path, body)
    outcome, permission = expected(case, persona)
    text = html.unescape(answer.content.decode(errors="replace"))
    where = f"{case.method} {path} as {persona}: {answer.status_code} {text[:300]}"
    if outcome == "ok" and persona != "admin":
        # Allowed the route, refused the host reference: by the policy, audited once, nothing changed.
        if case.key == "domain-definition-rollback":  # the history page shows why, after the redirect
            assert answer.status_code == 302, where
            text = html.unescape(client.get(answer["Location"]).content.decode())
        else:
            assert answer.status_code == 403, where
        assert HOST_RESOURCES in text, where
        if case.api:
            assert answer.json()["code"] == "definition_policy", where
        assert world["target"].revisions.count() == before, where
        assert AuditEntry.objects.filter(actor_name=world["people"][persona].username,
                                         outcome__contains=HOST_RESOURCES).count() == 1, where
    elif outcome == "ok":
        assert answer.status_code == case.ok, where
    elif outcome == "login":
        assert answer.status_code in (302, 403), where
    elif outcome == "404":
        assert answer.status_code == 404, where
    else:
        assert answer.status_code == 403 and f"'{permission}'" in text, where
