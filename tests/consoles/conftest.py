"""Fixtures for the live-session tests: the demo guest running."""

import pytest

from domains.access.lookups import libvirt_domain
from domains.lifecycle.models import Domain


@pytest.fixture
def demo(live_host):
    """The demo guest's Domain row, running and at its shell prompt; shut off afterwards.

    The stop event's row rewrite finishes before the tables are flushed (tests/conftest.py drains the event
    writers first).
    """
    domain = Domain.objects.get(host=live_host, name="demo")
    dom = libvirt_domain(domain)
    if not dom.isActive():
        dom.create()
    yield domain
    if dom.isActive():
        dom.destroy()
