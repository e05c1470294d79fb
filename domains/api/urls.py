"""API v1 routes; each view authenticates through DRF (session or token), not the login redirect."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from domains.access.api import audit as audit_views
from domains.access.api import grants as grant_views
from domains.access.api import users as user_views
from domains.api.errors import unknown_endpoint
from domains.api.metadata import DescriptionOnlyMetadata
from domains.api.openapi import V1DocsView, V1SchemaView
from domains.api.version import VersionView
from domains.consoles.api import ConsoleTickets
from domains.daemon import api as daemon_views
from domains.definitions import api as definition_views
from domains.hosts import api as host_views
from domains.install import api as install_views
from domains.jobs import api as job_views
from domains.lifecycle import api as lifecycle_views
from domains.tags import api as tag_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("schema/", api(V1SchemaView), name="api-schema"),
    path("docs/", login_not_required(V1DocsView.as_view(url_name="api-schema")), name="api-docs"),
    path("version", api(VersionView), name="api-version"),
    path("hosts", api(host_views.HostList), name="api-hosts"),
    path("hosts/<int:host_id>", api(host_views.HostDetail), name="api-host"),
    path("domains", api(lifecycle_views.DomainList), name="api-domains"),
    path("domains/<uuid:uuid>", api(definition_views.DomainDetailWithPatch), name="api-domain"),
    path("domains/<uuid:uuid>/actions", api(lifecycle_views.DomainActions), name="api-domain-actions"),
    path("domains/<uuid:uuid>/tags", api(tag_views.DomainTags), name="api-domain-tags"),
    # Definitions: XML, validation, revisions, create from XML
    path("domains/<uuid:uuid>/xml", api(definition_views.DomainXml), name="api-domain-xml"),
    path("domain-xml/validate", api(definition_views.ValidateXml), name="api-domain-xml-validate"),
    path("domains/<uuid:uuid>/revisions", api(definition_views.RevisionList), name="api-revisions"),
    path("domains/<uuid:uuid>/revisions/diff", api(definition_views.RevisionDiff), name="api-revision-diff"),
    path("domains/<uuid:uuid>/revisions/<int:number>", api(definition_views.RevisionDetail), name="api-revision"),
    path("domains/<uuid:uuid>/revisions/<int:number>/rollback", api(definition_views.RevisionRollback),
         name="api-revision-rollback"),
    path("hosts/<int:host_id>/domains", api(install_views.HostDomainsWithInstall), name="api-host-domains"),
    # Live sessions (console tickets)
    path("domains/<uuid:uuid>/console-tickets", api(ConsoleTickets), name="api-console-tickets"),
    # Permissions and audit
    path("grants", api(grant_views.GrantList), name="api-grants"),
    path("grants/<int:grant_id>", api(grant_views.GrantDetail), name="api-grant"),
    path("roles", api(grant_views.RoleList), name="api-roles"),
    path("audit", api(audit_views.AuditList), name="api-audit"),
    path("users", api(user_views.UserList), name="api-users"),
    path("users/<int:user_id>", api(user_views.UserDetail), name="api-user"),
    path("groups", api(user_views.GroupList), name="api-groups"),
    path("groups/<int:group_id>", api(user_views.GroupDetail), name="api-group"),
    path("groups/<int:group_id>/members/<str:username>", api(user_views.GroupMember), name="api-group-member"),
    # The host's libvirt daemon: settings, clients, revisions
    path("hosts/<int:host_id>/daemon", api(daemon_views.HostDaemon), name="api-host-daemon"),
    path("hosts/<int:host_id>/daemon/revisions", api(daemon_views.HostDaemonRevisions),
         name="api-host-daemon-revisions"),
    path("hosts/<int:host_id>/daemon/clients/<int:client_id>/disconnect", api(daemon_views.HostDaemonClientDisconnect),
         name="api-host-daemon-client-disconnect"),
    path("hosts/<int:host_id>/daemon/tls-reload", api(daemon_views.HostDaemonTlsReload),
         name="api-host-daemon-tls-reload"),
    # Jobs: long work (uploads, clones, migrations) with its progress
    path("jobs", api(job_views.JobList), name="api-jobs"),
    path("jobs/<int:job_id>", api(job_views.JobDetail), name="api-job"),
    path("jobs/<int:job_id>/cancel", api(job_views.JobCancel), name="api-job-cancel"),
]

urlpatterns += [
    # Storage: pools, volumes, a volume's content
    path("", include("domains.storage.urls")),
    # Virtual networks
    path("", include("domains.networks.urls")),
    # A domain's network interfaces
    path("", include("domains.interfaces.urls")),
    # A domain's snapshots
    path("", include("domains.snapshots.urls")),
    # Migration to another host, and its post-copy switch
    path("", include("domains.migration.urls")),
    # A domain's backups
    path("", include("domains.backups.urls")),
    # Cloning a domain
    path("", include("domains.clones.urls")),
    # Installing an OS: OS variants, media
    path("", include("domains.install.urls")),
    # Quotas and domain templates
    path("", include("domains.quotas.urls")),
    path("", include("domains.domain_templates.urls")),
    # Keep last: any other path under /api/v1/ answers 404 in the one error shape, not an HTML page.
    re_path(r"", unknown_endpoint),
]
