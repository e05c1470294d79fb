"""Network pages: a host's virtual networks, one network (actions, XML, history, access), the host's network
filters; included from console/urls.py."""

from django.urls import path

from console.access import views as access_views
from console.networks import entry_views, history_views, nwfilter_views, views

urlpatterns = [
    path("hosts/<int:host_id>/networks/", views.network_list, name="network-list"),
    path("hosts/<int:host_id>/new-network/", views.network_create, name="network-create"),
    path("hosts/<int:host_id>/nwfilters/", nwfilter_views.nwfilter_index, name="nwfilter-list"),
    path("hosts/<int:host_id>/new-nwfilter/", nwfilter_views.nwfilter_create, name="nwfilter-create"),
    path("hosts/<int:host_id>/nwfilters/<str:name>/", nwfilter_views.nwfilter_page, name="nwfilter-detail"),
    path("hosts/<int:host_id>/networks/<str:name>/", views.network_detail, name="network-detail"),
    path("hosts/<int:host_id>/networks/<str:name>/actions/<str:action>/", views.network_action,
         name="network-action"),
    path("hosts/<int:host_id>/networks/<str:name>/delete/", views.network_delete, name="network-delete"),
    path("hosts/<int:host_id>/networks/<str:name>/xml/", views.network_xml, name="network-xml"),
    path("hosts/<int:host_id>/networks/<str:name>/access/", access_views.network_access, name="network-access"),
    path("hosts/<int:host_id>/networks/<str:name>/revisions/<int:number>/rollback/", history_views.network_rollback,
         name="network-rollback"),
    path("hosts/<int:host_id>/networks/<str:name>/dhcp-hosts/add/", entry_views.dhcp_host_add,
         name="network-dhcp-host-add"),
    path("hosts/<int:host_id>/networks/<str:name>/dhcp-hosts/remove/", entry_views.dhcp_host_remove,
         name="network-dhcp-host-remove"),
    path("hosts/<int:host_id>/networks/<str:name>/dns-hosts/add/", entry_views.dns_host_add,
         name="network-dns-host-add"),
    path("hosts/<int:host_id>/networks/<str:name>/dns-hosts/remove/", entry_views.dns_host_remove,
         name="network-dns-host-remove"),
]
