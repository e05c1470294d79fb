"""Which tests run again on PostgreSQL and Redis: the production_shape marker (scripts/test-production-shape.sh)."""

import pytest

# Run once, on the default only: they boot guests, use the shared libvirtd or drive Chromium.
HEAVY = ("embedded", "system", "browser")
# But for these: revocation and console sessions have tests on the demo guest only, and their sockets'
# messages are what Redis carries between processes.
ON_THE_DEMO_GUEST = {"tests/consoles/test_revoke_closes_sessions.py", "tests/consoles/test_demo_guest_sessions.py"}
# The authorization matrices ask every route as every persona: on PostgreSQL the administrator (every
# route's success path, its writes and audit) covers what the database does; the other personas repeat
# the same lookups with other grants (refusals and audited 404s have tests of their own).
MATRIX_PERSONAS = {"admin"}
# One route after another as the console-only role, and the other personas' refusals and reads in one world:
# the matrices' administrator tests already ask those routes.
REPEATS = {"tests/access/test_console_only.py::test_a_console_user_gets_only_the_console_of_their_vm",
           "tests/access/test_authorization_matrix.py::test_each_route_refuses_or_shows_each_persona_exactly",
           "tests/qemu_extras/test_qemu_authorization_matrix.py::test_each_qemu_route_refuses_or_shows_each_persona_exactly"}


def reaches_the_database(item):
    """True when the test uses the database (and so the channel layer's sockets, which sign in through it)."""
    return item.get_closest_marker("django_db") is not None or bool({"db", "transactional_db"} & set(item.fixturenames))


def in_production_shape(item):
    if item.nodeid.split("::")[0] in ON_THE_DEMO_GUEST:
        return True
    if any(item.get_closest_marker(name) for name in HEAVY) or not reaches_the_database(item):
        return False
    if item.nodeid.split("[")[0] in REPEATS:
        return False
    persona = getattr(item, "callspec", None) and item.callspec.params.get("persona")
    return persona is None or persona in MATRIX_PERSONAS


def pytest_collection_modifyitems(items):
    marker = pytest.mark.production_shape
    for item in items:
        if in_production_shape(item):
            item.add_marker(marker)
