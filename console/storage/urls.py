"""Page routes of storage pools, included from console/urls.py."""

from django.urls import path

from console.access import views as access_views
from console.storage import views

urlpatterns = [
    path("hosts/<int:host_id>/pools/", views.pool_list, name="pool-list"),
    path("hosts/<int:host_id>/new-pool/", views.pool_create, name="pool-create"),
    path("hosts/<int:host_id>/pools/<str:name>/", views.pool_detail, name="pool-detail"),
    path("hosts/<int:host_id>/pools/<str:name>/actions/<str:action>/", views.pool_action, name="pool-action"),
    path("hosts/<int:host_id>/pools/<str:name>/delete/", views.pool_delete, name="pool-delete"),
    path("hosts/<int:host_id>/pools/<str:name>/xml/", views.pool_xml, name="pool-xml"),
    path("hosts/<int:host_id>/pools/<str:name>/history/<int:number>/", views.pool_revision, name="pool-revision"),
    path("hosts/<int:host_id>/pools/<str:name>/access/", access_views.pool_access, name="pool-access"),
]
