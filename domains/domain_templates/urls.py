"""API v1 routes of domain templates; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.domain_templates import api as template_views


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("templates", api(template_views.Templates), name="api-templates"),
    path("templates/<int:template_id>", api(template_views.TemplateDetail), name="api-template"),
    path("domains/<uuid:uuid>/template", api(template_views.DomainTemplate), name="api-domain-template"),
]
