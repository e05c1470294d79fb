"""API v1 routes of migration; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.migration import api as migration_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("domains/<uuid:uuid>/migrate", api(migration_views.DomainMigrate), name="api-domain-migrate"),
    path("jobs/<int:job_id>/postcopy", api(migration_views.JobPostcopy), name="api-job-postcopy"),
]
