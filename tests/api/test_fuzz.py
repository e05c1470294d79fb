"""schemathesis fuzzes API v1 in process on test:/// hosts, as an admin and an outsider: no 500s, schema kept."""

import contextlib
import importlib
import os
import pkgutil

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domains.api.openapi import v1_schema

# schemathesis imports many of its modules lazily, deep inside Hypothesis' call stack, where pytest's
# assertion rewriting (schemathesis is a pytest plugin, so its modules are rewritten) parses them and
# CPython 3.11 fails with "AST constructor recursion depth mismatch", or a KeyError after it. Which
# module comes first depends on the examples drawn, so every one is imported here, at the top of the
# stack, once (about 2 s); a module whose optional dependency is missing is never reached either.
for _module in pkgutil.walk_packages(schemathesis.__path__, "schemathesis."):
    with contextlib.suppress(ImportError):
        importlib.import_module(_module.name)

# Bounded: each operation gets at most this many examples, so the run stays under a minute;
# VIRTCONSOLE_FUZZ_EXAMPLES=500 digs deeper by hand.
MAX_EXAMPLES = int(os.environ.get("VIRTCONSOLE_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def test_hosts(db, make_test_host):
    return [make_test_host("fuzz-a", domains=3, running=(0,)), make_test_host("fuzz-b", domains=2, running=(1,))]


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """The real WSGI handler closes the database connection after each request, which would end the test's
    transaction (with a file database); Django's own test client disconnects that signal the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(owner, outsider):
    """The owner's token, then the outsider's (no grants)."""
    # Token rows written directly: no action makes tokens (the My account page writes this same row).
    return [Token.objects.create(user=owner).key, Token.objects.create(user=outsider).key]


# The document /api/v1/schema/ serves, generated here so that loading it needs no request at import time.
schema = schemathesis.openapi.from_dict(v1_schema())
schema.app = get_wsgi_application()
# Never fuzz writes to a daemon's admin interface: that daemon is the machine's real libvirtd (make test
# starts one), and random thread pools, client limits or log outputs would change it for every test after.
schema = schema.exclude(method_regex="^(POST|PUT|PATCH|DELETE)$", path_regex="daemon")
# A volume upload is streamed by an ASGI app ahead of Django (Django would buffer the body first), so
# this WSGI application only ever answers it 501; tests/storage/test_transfer_upload.py covers it.
schema = schema.exclude(method="PUT", path_regex="/content$")

# Domains of the test hosts (tests/conftest.py node_xml): random UUIDs only ever reach the 404 path.
KNOWN_UUIDS = [f"00000000-0000-4000-8000-{index:012d}" for index in range(3)]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters or "uuid" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([*KNOWN_UUIDS, path_parameters["uuid"]]).map(lambda uuid: {**path_parameters, "uuid": uuid})


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_within_its_schema(case, tokens, test_hosts):
    # Reads are also made as the outsider: what they may not see must answer 404/403 in the error shape.
    for token in tokens if case.method == "GET" else tokens[:1]:
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
