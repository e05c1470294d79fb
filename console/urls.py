"""URL routes of the site and the API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("domains/<uuid:uuid>/", views.domain_detail, name="domain-detail"),
    path("domains/<uuid:uuid>/actions/<str:action>/", views.domain_action, name="domain-action"),
    path("hosts/", views.host_list, name="host-list"),
    path("hosts/add/", views.host_add, name="host-add"),
    path("hosts/<int:host_id>/update/", views.host_update, name="host-update"),
    path("hosts/<int:host_id>/remove/", views.host_remove, name="host-remove"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("domains.api.urls")),
]
