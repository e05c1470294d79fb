"""How API lists are paged: limit and offset, with a largest page."""

from rest_framework.pagination import LimitOffsetPagination


class Pages(LimitOffsetPagination):
    """?limit=&offset= as before; a limit above max_limit is served as max_limit (the answer says the count)."""

    # One answer should cost one request's worth of database and libvirt work: page through larger lists.
    max_limit = 1000
    # Past any table's end, and still a number the database can hold (SQLite's is 2**63 - 1).
    max_offset = 2**62

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)
