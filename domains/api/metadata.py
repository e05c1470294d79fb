"""What OPTIONS answers on API v1: the view's name and media types, never a lookup of the object."""

from rest_framework.metadata import SimpleMetadata


class DescriptionOnlyMetadata(SimpleMetadata):
    """DRF's default also describes PUT/POST forms by fetching the object, which fails (500) on views
    without a queryset; the OpenAPI schema at /api/v1/schema/ describes the fields instead."""

    def determine_actions(self, request, view):
        return {}
