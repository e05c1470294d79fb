"""Routes of the QEMU extras: the /api/qemu/v1/ namespace and the extras' pages under /qemu/."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from qemu_extras import api, views


def api_view(view):
    # DRF authenticates these (session or token), not the login redirect.
    return login_not_required(view.as_view())


API = "api/qemu/v1/"
DOMAIN = API + "domains/<uuid:uuid>/"

urlpatterns = [
    path(API + "version", api_view(api.Version), name="qemu-api-version"),
    path(DOMAIN + "monitor", api_view(api.MonitorCommand), name="qemu-api-monitor"),
    path(DOMAIN + "agent", api_view(api.AgentCommand), name="qemu-api-agent"),
    path(DOMAIN + "taints", api_view(api.Taints), name="qemu-api-taints"),
    path(DOMAIN + "extras", api_view(api.Extras), name="qemu-api-extras"),
    path(DOMAIN + "rewrites", api_view(api.Rewrites), name="qemu-api-rewrites"),
    path(DOMAIN + "commandline", api_view(api.CommandLine), name="qemu-api-commandline"),
    path("qemu/domains/<uuid:uuid>/monitor/", views.monitor_page, name="qemu-monitor"),
    path("qemu/domains/<uuid:uuid>/commandline/", views.commandline_page, name="qemu-commandline"),
    path("qemu/domains/<uuid:uuid>/rewrites/<int:index>/", views.rewrite_page, name="qemu-rewrite"),
]
