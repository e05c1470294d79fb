"""API v1 routes of a domain's backups; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.backups import api as backup_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("domains/<uuid:uuid>/backups", api(backup_views.DomainBackups), name="api-domain-backups"),
    path("domains/<uuid:uuid>/backups/<int:backup_id>", api(backup_views.DomainBackup), name="api-domain-backup"),
    path("domains/<uuid:uuid>/backups/<int:backup_id>/restore", api(backup_views.DomainBackupRestore),
         name="api-domain-backup-restore"),
]
