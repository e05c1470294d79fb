"""API v1 routes of virtual networks; included from domains/api/urls.py."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from domains.api.metadata import DescriptionOnlyMetadata
from domains.networks import api as network_views
from domains.networks import host_entries_api, hostside_api, revisions_api

NETWORK = "hosts/<int:host_id>/networks/<str:name>"


def api(view):
    return login_not_required(view.as_view(metadata_class=DescriptionOnlyMetadata))


urlpatterns = [
    path("hosts/<int:host_id>/networks", api(network_views.HostNetworks), name="api-host-networks"),
    path(NETWORK, api(network_views.HostNetwork), name="api-host-network"),
    path(f"{NETWORK}/actions", api(network_views.HostNetworkActions), name="api-host-network-actions"),
    path(f"{NETWORK}/leases", api(network_views.HostNetworkLeases), name="api-host-network-leases"),
    path(f"{NETWORK}/dhcp-hosts", api(host_entries_api.NetworkDhcpHosts), name="api-host-network-dhcp-hosts"),
    path(f"{NETWORK}/dns-hosts", api(host_entries_api.NetworkDnsHosts), name="api-host-network-dns-hosts"),
    path("hosts/<int:host_id>/interfaces", api(hostside_api.HostInterfaces), name="api-host-interfaces"),
    path("hosts/<int:host_id>/nwfilters", api(hostside_api.HostNwfilters), name="api-host-nwfilters"),
    path("hosts/<int:host_id>/nwfilters/<str:name>", api(hostside_api.HostNwfilter), name="api-host-nwfilter"),
    # The revision history, named like a domain's (domains/<uuid>/revisions, .../diff, .../<number>).
    path(f"{NETWORK}/revisions", api(revisions_api.NetworkRevisions), name="api-host-network-revisions"),
    path(f"{NETWORK}/revisions/diff", api(revisions_api.NetworkRevisionDiff), name="api-host-network-revision-diff"),
    path(f"{NETWORK}/revisions/<int:number>", api(revisions_api.NetworkRevisionDetail),
         name="api-host-network-revision"),
    path(f"{NETWORK}/revisions/<int:number>/rollback", api(revisions_api.NetworkRevisionRollback),
         name="api-host-network-revision-rollback"),
]
