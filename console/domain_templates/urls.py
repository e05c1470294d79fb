"""Templates page routes; included from console/urls.py."""

from django.urls import path

from console.domain_templates import views

urlpatterns = [
    path("templates/", views.templates_page, name="templates"),
    path("templates/add/", views.template_add, name="template-add"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template-delete"),
    path("templates/<int:template_id>/create/", views.template_use, name="template-use"),
]
