"""API v1 routes; each view authenticates through DRF (session or token), not the login redirect."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from domains.api import views


def api(view):
    return login_not_required(view.as_view())


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("hosts", api(views.HostList), name="api-hosts"),
    path("hosts/<int:host_id>", api(views.HostDetail), name="api-host"),
    path("domains", api(views.DomainList), name="api-domains"),
    path("domains/<uuid:uuid>", api(views.DomainDetail), name="api-domain"),
    path("domains/<uuid:uuid>/actions", api(views.DomainActions), name="api-domain-actions"),
]
