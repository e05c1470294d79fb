"""URL routes of the site and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console.access import people_views
from console.access import views as access_views
from console.consoles import views as console_views
from console.daemon import views as daemon_views
from console.definitions import views as definition_views
from console.hosts import views as host_views
from console.jobs import views as job_views
from console.lifecycle import overview as overview_views
from console.lifecycle import views as lifecycle_views
from console.tags import views as tag_views
from console.storage import volume_views

urlpatterns = [
    path("", overview_views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="access/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("domains/<uuid:uuid>/", lifecycle_views.domain_detail, name="domain-detail"),
    path("domains/<uuid:uuid>/actions/<str:action>/", lifecycle_views.domain_action, name="domain-action"),
    path("domains/<uuid:uuid>/summary/", lifecycle_views.domain_summary, name="domain-summary"),
    path("domains/<uuid:uuid>/tags/", tag_views.domain_tags, name="domain-tags"),
    path("domains/actions/", overview_views.domain_bulk_action, name="domain-bulk-action"),
    path("hosts/", host_views.host_list, name="host-list"),
    path("hosts/add/", host_views.host_add, name="host-add"),
    path("hosts/<int:host_id>/update/", host_views.host_update, name="host-update"),
    path("hosts/<int:host_id>/remove/", host_views.host_remove, name="host-remove"),
    # The host's libvirt daemon
    path("hosts/<int:host_id>/daemon/", daemon_views.host_daemon, name="host-daemon"),
    path("hosts/<int:host_id>/daemon/apply/", daemon_views.host_daemon_apply, name="host-daemon-apply"),
    path("hosts/<int:host_id>/daemon/clients/<int:client_id>/disconnect/", daemon_views.host_daemon_disconnect,
         name="host-daemon-disconnect"),
    path("hosts/<int:host_id>/daemon/revisions/<int:number>/rollback/", daemon_views.host_daemon_rollback,
         name="host-daemon-rollback"),
    path("hosts/<int:host_id>/daemon/tls-reload/", daemon_views.host_daemon_tls_reload, name="host-daemon-tls-reload"),
    # Definitions: forms, raw XML, history, import/export, create
    path("domains/<uuid:uuid>/definition/", definition_views.definition_page, name="domain-definition"),
    path("domains/<uuid:uuid>/definition/edit/<slug:form>/", definition_views.definition_form,
         name="domain-definition-form"),
    path("domains/<uuid:uuid>/definition/xml/", definition_views.definition_xml, name="domain-definition-xml"),
    path("domains/<uuid:uuid>/definition/export/", definition_views.definition_export, name="domain-definition-export"),
    path("domains/<uuid:uuid>/definition/history/", definition_views.definition_history,
         name="domain-definition-history"),
    path("domains/<uuid:uuid>/definition/history/<int:number>/", definition_views.definition_revision,
         name="domain-definition-revision"),
    path("domains/<uuid:uuid>/definition/history/<int:number>/rollback/", definition_views.definition_rollback,
         name="domain-definition-rollback"),
    path("hosts/<int:host_id>/domains/new/", definition_views.host_domain_create, name="host-domain-create"),
    path("hosts/<int:host_id>/domains/import/", definition_views.host_domain_import, name="host-domain-import"),
    # Permissions and audit
    path("domains/<uuid:uuid>/access/", access_views.domain_access, name="domain-access"),
    path("domains/<uuid:uuid>/audit/", access_views.domain_audit, name="domain-audit"),
    path("hosts/<int:host_id>/access/", access_views.host_access, name="host-access"),
    path("access/", access_views.access_index, name="access-index"),
    # People and groups: accounts made and changed by the console's administrator
    path("access/users/", people_views.user_list, name="user-list"),
    path("access/users/new/", people_views.user_create, name="user-create"),
    path("access/users/<int:user_id>/", people_views.user_access, name="user-access"),
    path("access/users/<int:user_id>/active/", people_views.user_active, name="user-active"),
    path("access/users/<int:user_id>/password/", people_views.user_password, name="user-password"),
    path("access/groups/", people_views.group_list, name="group-list"),
    path("access/groups/<int:group_id>/", people_views.group_detail, name="group-detail"),
    path("access/groups/<int:group_id>/rename/", people_views.group_rename, name="group-rename"),
    path("access/groups/<int:group_id>/delete/", people_views.group_delete, name="group-delete"),
    path("access/groups/<int:group_id>/members/", people_views.group_members, name="group-members"),
    path("access/grants/<int:grant_id>/revoke/", access_views.grant_revoke, name="grant-revoke"),
    path("access/roles/", access_views.role_list, name="role-list"),
    path("audit/", access_views.audit_log, name="audit-log"),
    path("account/", access_views.account, name="account"),
    # Jobs: long work and its progress
    path("jobs/", job_views.job_list, name="job-list"),
    path("jobs/<int:job_id>/cancel/", job_views.job_cancel, name="job-cancel"),
    # Storage: a pool's volumes
    path("", include(volume_views.urlpatterns)),
    # Live sessions: console pages
    path("domains/<uuid:uuid>/console/serial/", console_views.serial_console, name="console-serial"),
    path("domains/<uuid:uuid>/console/vnc/", console_views.vnc_console, name="console-vnc"),
    path("", include("console.storage.urls")),
    path("", include("console.networks.urls")),
    path("", include("console.interfaces.urls")),
    path("", include("console.snapshots.urls")),
    path("", include("console.backups.urls")),
    path("", include("console.clones.urls")),
    path("", include("console.install.urls")),
    path("", include("console.domain_templates.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("domains.api.urls")),
    path("", include("qemu_extras.urls")),  # QEMU extras: /api/qemu/v1/ and /qemu/ pages
]
