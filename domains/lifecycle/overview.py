"""The overview's domain list: search, filter and sort on live state, each row with the actions its user may take."""

import json
import uuid as uuidlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from domains.access import permissions
from domains.lifecycle.actions import ACTIONS
from domains.lifecycle.listing import list_rows
from domains.lifecycle.models import Domain

# The lifecycle actions a row (and a selection of rows) offers: the ones that need nothing but a state to be
# offered and no more than a yes to be done. Undefine asks for the name and what to do with the storage: the
# domain page's.
ROW_ACTIONS = ("start", "shutdown", "reboot", "suspend", "resume", "reset", "destroy")
# Rows a page of the list shows. At 1,000 domains drawing every row took 0.5 s of the server's CPU per load (the
# row template, the actions each row's user may take) and gave the browser 4,000 live graphs; a page costs the same
# whatever the host holds (benchmarks/domain_listing.py).
PAGE_ROWS = 100
# States the list can be filtered by, in the order the filter offers them.
FILTER_STATES = ("running", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "unknown", "gone")
# Sort by state: what needs a look first.
STATE_ORDER = {state: rank for rank, state in enumerate(
    ("crashed", "running", "blocked", "paused", "shutdown", "pmsuspended", "shutoff", "nostate", "unknown", "gone"))}
SORTS = {
    "name": lambda item: (item.name,),
    "state": lambda item: (STATE_ORDER.get(item.state, 99), item.name),
    "host": lambda item: (item.host_name, item.name),
    "memory": lambda item: (item.memory_kib if item.memory_kib is not None else -1, item.name),
    "vcpus": lambda item: (item.vcpus if item.vcpus is not None else -1, item.name),
}


def _whole_number(text):
    """Whether text is a whole number int() takes: ASCII digits ("²" is a digit to isdigit, and int() refuses it)."""
    return text.isascii() and text.isdigit()


def _page_number(text):
    """The page text asks for: 1 unless it is a whole number, and a number past every page (the last) if long."""
    if not _whole_number(text):
        return 1
    return max(1, int(text)) if len(text) < 10 else 10 ** 9


@dataclass
class DomainQuery:
    """What the list shows: a part of the name, a host, a state, a tag, an order; gone rows only when asked."""

    name: str = ""
    host: int | None = None
    state: str = ""
    tag: str = ""
    sort: str = "name"
    descending: bool = False
    show_gone: bool = False
    uuid: uuidlib.UUID | None = None  # just this domain's row (a row the live list adds)
    page: int = 1  # which PAGE_ROWS rows of those matching (past the last: the last)

    @classmethod
    def from_params(cls, params):
        """The query a page's GET parameters ask for; whatever does not parse is left at its default."""
        host = params.get("host", "")
        state = params.get("state", "")
        sort = params.get("sort", "name")
        page = params.get("page", "")
        try:
            uuid = uuidlib.UUID(params.get("row", ""))
        except ValueError:
            uuid = None
        return cls(
            name=params.get("q", "").strip().replace("\x00", ""),
            # Past what an id column holds (18 digits), no host has it: every host, as for what does not parse.
            host=int(host) if _whole_number(host) and len(host) < 19 else None,
            state=state if state in FILTER_STATES else "",
            tag=params.get("tag", "").strip().lower(),
            sort=sort if sort in SORTS else "name",
            descending=params.get("dir") == "desc",
            show_gone=params.get("gone") == "1" or state == "gone",
            uuid=uuid,
            page=_page_number(page),
        )

    def matches(self, item):
        if self.uuid is not None and item.uuid != self.uuid:
            return False
        if self.name and self.name.casefold() not in item.name.casefold():
            return False
        if self.host is not None and item.host != self.host:
            return False
        if self.state and item.state != self.state:
            return False
        if self.tag and self.tag not in item.tags:
            return False
        return self.show_gone or item.state != "gone"


@dataclass
class DomainRow:
    item: object  # listing.DomainItem
    domain: Domain  # the row, for permission checks (not read from the database again)
    host: object  # its Host
    actions: list = field(default_factory=list)  # LifecycleActions offered in its state that the user may take
    allowed: list = field(default_factory=list)  # names of the ROW_ACTIONS the user may take, whatever the state
    sort_key: str = "[]"  # JSON of its key in the list's order (gone rows last aside): where the page puts it


@dataclass
class HostCount:
    running: int = 0
    total: int = 0


@dataclass
class Paging:
    page: int  # the page shown, from 1
    pages: int  # pages of the rows matching (1 when none match)
    matched: int  # rows matching the query, on every page
    first: int  # the position of the page's first row among them, from 1 (0 when none match)
    last: int  # the position of its last row


@dataclass
class DomainList:
    sections: list  # listing.HostSection of every host the user may see
    rows: list  # DomainRow of the page, matching the query, in its order
    counts: dict  # host id -> HostCount (domains defined now: gone rows left out)
    hidden_gone: int  # gone rows the query matched but does not show
    tags: list  # every tag on a domain the user may see, sorted: what the tag filter offers
    paging: Paging


def allowed_actions(user, domain):
    """The names of the ROW_ACTIONS user may take on domain, whatever its state."""
    return [name for name in ROW_ACTIONS if permissions.has_perm(user, ACTIONS[name].permission, domain)]


def make_row(user, item, domain, host, query):
    """The DomainRow of item: the ROW_ACTIONS offered in its state that user may take on domain, and its sort key
    in query's order (a row the live list adds or draws again goes where this list would have put it)."""
    allowed = allowed_actions(user, domain) if item.state != "gone" else []
    facts = SimpleNamespace(state=item.state)
    offered = [ACTIONS[name] for name in allowed if item.state != "unknown" and ACTIONS[name].offered(facts)]
    return DomainRow(item, domain, host, offered, allowed, json.dumps(SORTS[query.sort](item)))


def domain_list(user, query):
    """The DomainList user sees for query: one bulk libvirt call per host, constant queries; rows for its page only."""
    sections, listed = list_rows(user)
    counts = {section.host.pk: HostCount() for section in sections}
    hosts = {section.host.pk: section.host for section in sections}
    matched, hidden_gone, tags = [], 0, set()
    shown = DomainQuery(**{**query.__dict__, "show_gone": True})
    for pk, item in listed:
        tags.update(item.tags)
        if item.state != "gone":
            counts[item.host].total += 1
            counts[item.host].running += item.state in ("running", "blocked")
        if not shown.matches(item):
            continue
        if item.state == "gone" and not query.show_gone:
            hidden_gone += 1
            continue
        matched.append((pk, item))
    order = SORTS[query.sort]
    matched.sort(key=lambda pair: order(pair[1]), reverse=query.descending)
    matched.sort(key=lambda pair: pair[1].state == "gone")  # stable: gone rows last, in the same order
    pages = max(1, -(-len(matched) // PAGE_ROWS))
    page = min(query.page, pages)
    start = (page - 1) * PAGE_ROWS
    rows = [make_row(user, item, Domain(pk=pk, host_id=item.host, uuid=item.uuid, name=item.name,
                                        gone=item.state == "gone"), hosts[item.host], query)
            for pk, item in matched[start:start + PAGE_ROWS]]
    paging = Paging(page, pages, len(matched), start + 1 if rows else 0, start + len(rows))
    return DomainList(sections, rows, counts, hidden_gone, sorted(tags), paging)
