"""A German reader's tour: every main page, asked for in German by a superuser, shows no English sentences.

The check reads what a person reads (text nodes and the words of title=, aria-label=, placeholder=, alt= and of
buttons), leaves out what is no prose of the console's (scripts, styles, code, preformatted text, text areas, keys)
and looks for English words that German never uses as words of its own. Names given to things (domains, hosts,
pools, networks, people) are chosen here without such words, so a hit is the console's own English.
"""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.utils import timezone

from domains.access.models import AuditEntry
from domains.domain_templates.models import Template
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.storage.lookups import pool_row
from domains.storage.pools.actions import ensure_first_revision
from tests.i18n.test_german import IGNORED

# English words that are no German words (so "was", "will", "an", "in", "so", "die" are not here): each one in a
# page's German text is a sentence or label left in English.
ENGLISH_WORDS = ("the", "and", "is", "are", "not", "of", "to", "with", "your", "you", "this", "that", "from",
                 "for", "has", "have", "been", "or", "its", "it", "there", "which", "when", "can", "be", "no", "at",
                 "by", "should", "would", "may", "must", "only", "none", "yet", "here", "see", "any", "each", "every",
                 "these", "than", "then", "after", "before", "into", "out", "what", "where", "who", "how")
ENGLISH = re.compile(r"(?<![\w.:/@-])(" + "|".join(ENGLISH_WORDS) + r")(?![\w/@-])", re.IGNORECASE)

# The English allowed to stay, each with why: no words of the console's, but data it shows as it is. (Besides
# these, an <option> that shows its own value offers a value of libvirt's or QEMU's to pick, and is left out too.)
ALLOWED = [
    # libvirt's own words, which pages quote inside the console's (libvirt speaks English): what the test:///
    # driver cannot do.
    "this function is not supported by the connection driver",
    # Words people gave the things shown: the demo guest's <description> (domains/hosts/embedded.py).
    "Debian cloud kernel and a busybox shell on the serial port.",
]

# Elements whose text is not the console's prose: code, data shown as typed, and what a browser does not show.
SKIPPED = {"script", "style", "code", "pre", "textarea", "kbd", "head"}
# Attributes whose words a reader sees (tooltips) or hears (screen readers), or that a button shows.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class ReadText(HTMLParser):
    """The words of a page a person reads or hears, one piece per text node or attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces, self.skipping, self.option_value = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping.append(tag)
        if self.skipping:
            return
        attributes = dict(attrs)
        if tag == "option":
            self.option_value = attributes.get("value")
        self.pieces += [attributes[name] for name in READ_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.pieces.append(attributes["value"])

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        if tag == "option":
            self.option_value = None

    def handle_data(self, data):
        # An option that shows its own value offers a value of libvirt's or QEMU's to pick ("none", "omit"), no prose.
        if not self.skipping and data.strip() and data.strip() != self.option_value:
            self.pieces.append(" ".join(data.split()))


def english_left(html):
    """[(English word, the text around it)] of a page, the allowed and known texts left out."""
    reader = ReadText()
    reader.feed(html)
    found = []
    for piece in reader.pieces:
        # Longest first, so a shorter one does not cut a longer one apart; str(): a word made lazy says English here.
        for known in sorted(map(str, ALLOWED), key=len, reverse=True):
            piece = piece.replace(known, " ")
        found += [(match.group(1), piece[max(0, match.start() - 60):match.end() + 60])
                  for match in ENGLISH.finditer(piece)]
    return found


@pytest.fixture(scope="module")
def german_compiled():
    call_command("compilemessages", locale=["de"], ignore_patterns=IGNORED, verbosity=0)


@pytest.fixture
def tour(make_test_host, owner, make_user, make_group, grant):
    """A test:/// host "rechner" with domains (one running), a pool with a volume, a network, a grant, a group, a
    template and jobs under way."""
    host = make_test_host("rechner", domains=2, running=(0,))
    inventory.sync_host(host)
    connection = adapter.connection_for(host).get()
    pool = connection.storagePoolCreateXML(
        "<pool type='dir'><name>speicher</name><target><path>/speicher</path></target></pool>", 0)
    pool.createXML("<volume><name>platte.img</name><capacity>1048576</capacity></volume>", 0)
    ensure_first_revision(pool_row(host, pool), pool)
    connection.networkDefineXML(
        "<network><name>netz</name><dns><host ip='192.168.251.5'><hostname>gast</hostname></host></dns>"
        "<ip address='192.168.251.1' prefix='24'><dhcp><range start='192.168.251.10' end='192.168.251.50'/>"
        "<host mac='52:54:00:25:00:01' ip='192.168.251.5'/></dhcp></ip></network>")
    running, stopped = (Domain.objects.get(host=host, name=name) for name in ("vm0000", "vm0001"))
    person = make_user("berta")
    group = make_group("team", members=[person])
    grant("Viewer", to=person, domain=running)
    Template.objects.create(name="muster", memory_mib=256, install={"kind": "network"})
    # Jobs under way on the running domain, as its snapshot and backup cards and the jobs page show them.
    for kind, params, unit, total in (("domain.snapshot_create", {"snapshot": "stand"}, "items", 1),
                                      ("domain.backup_create", {"kind": "full"}, "percent", 100)):
        Job.objects.create(kind=kind, params=params, unit=unit, total=total, host=host, target_type="domain",
                           target_id=str(running.pk), target_label=running.name, user=owner, heartbeat=timezone.now())
    return {"host": host, "running": running, "stopped": stopped, "person": person, "group": group}


def pages(tour):
    """The main pages of the tour's things, a domain's tabs for a running and a stopped one."""
    host, running, stopped = tour["host"].pk, tour["running"].uuid, tour["stopped"].uuid
    person, group = tour["person"].pk, tour["group"].pk
    for uuid in (running, stopped):
        yield from (f"/domains/{uuid}/", f"/domains/{uuid}/definition/", f"/domains/{uuid}/definition/xml/",
                    f"/domains/{uuid}/definition/history/", f"/domains/{uuid}/snapshots/",
                    f"/domains/{uuid}/access/", f"/domains/{uuid}/audit/", f"/domains/{uuid}/clone/",
                    f"/domains/{uuid}/console/vnc/", f"/domains/{uuid}/console/serial/")
    yield from ("/", "/hosts/", f"/hosts/{host}/daemon/", f"/hosts/{host}/access/", f"/hosts/{host}/pools/",
                f"/hosts/{host}/pools/speicher/", f"/hosts/{host}/new-pool/", f"/hosts/{host}/pools/speicher/xml/",
                f"/hosts/{host}/networks/", f"/hosts/{host}/networks/netz/", f"/hosts/{host}/new-network/",
                f"/hosts/{host}/networks/netz/xml/", f"/hosts/{host}/nwfilters/", f"/hosts/{host}/isos/",
                f"/hosts/{host}/domains/new/", f"/hosts/{host}/domains/import/", "/jobs/", "/audit/", "/access/",
                "/access/users/", f"/access/users/{person}/", "/access/groups/", f"/access/groups/{group}/",
                "/access/roles/", "/account/", "/install/", f"/install/?host={host}", "/templates/",
                f"/hosts/{host}/pools/speicher/access/", f"/hosts/{host}/networks/netz/access/",
                f"/hosts/{host}/new-nwfilter/", f"/hosts/{host}/pools/speicher/history/1/")


def english_on(answer, url):
    """The English a German page shows, keyed by its text; the page must be a German one."""
    assert answer.status_code in (200, 400, 409), (url, answer.status_code)  # a refused form comes back (400)
    assert 'lang="de"' in answer.content.decode(), url
    return {context: (url, word) for word, context in english_left(answer.content.decode())}


def said(seen):
    """Each piece of English once, with the first page that shows it."""
    return f"{len(seen)} pieces of English:\n" + "\n".join(
        f"{url}: {word!r} in …{context}…" for context, (url, word) in seen.items())


def test_the_check_finds_english_where_there_is_some():
    page = ('<html lang="de"><body><p title="Start the domain">Starten</p><script>if (x) return "and the";</script>'
            '<button aria-label="Schließen">×</button><p>Domain <code>is not</code> gestartet: the disk is full.</p>'
            '<input type="submit" value="Apply the changes"><select><option value="none">none</option>'
            '<option value="">none of these</option></select></body></html>')
    assert [word for word, _context in english_left(page)] == ["the", "the", "is", "the", "none", "of", "these"]


@pytest.mark.django_db
def test_a_german_reader_finds_no_english_on_the_main_pages(client, owner, tour, german_compiled):
    client.force_login(owner)
    seen, shown = {}, {}
    for url in pages(tour):
        answer = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        shown[url] = answer.content.decode()
        for context, where in english_on(answer, url).items():
            seen.setdefault(context, where)
    assert not seen, said(seen)
    # The jobs were there to read: their units on the jobs page, what they do on the domain page's cards.
    assert "Elemente" in shown["/jobs/"] and "Prozent" in shown["/jobs/"]
    snapshots = shown[f"/domains/{tour['running'].uuid}/snapshots/"]
    assert "erstellen von stand" in snapshots and "erstellen (vollständig)" in snapshots


@pytest.mark.django_db
def test_what_the_pages_say_after_a_german_readers_actions_is_german_too(client, owner, tour, german_compiled):
    # Each form post, then the page it leads to with the message about it (a success or a refusal).
    client.force_login(owner)
    host = tour["host"].pk
    network, pool = f"/hosts/{host}/networks/netz/", f"/hosts/{host}/pools/speicher/"
    template = Template.objects.get(name="muster").pk
    posts = [
        (network + "actions/start/", {}), (network + "actions/autostart/", {}),
        (network + "dhcp-hosts/add/", {"ip": "192.168.251.20", "mac": "52:54:00:25:00:02"}),
        (network + "dns-hosts/add/", {"ip": "192.168.251.21", "hostnames": "rechner2"}),
        (network + "revisions/9/rollback/", {}),
        (pool + "actions/refresh/", {}), (pool + "volumes/platte.img/delete/", {}),
        (pool + "volumes/platte.img/delete/", {"confirm": "on"}),
        (f"/hosts/{host}/daemon/revisions/9/rollback/", {}), (f"/hosts/{host}/daemon/apply/",
                                                               {"group": "daemon_timeout", "daemon_timeout": "bald"}),
        (f"/templates/{template}/create/", {"host": host, "name": "aus-muster"}),
        (f"/templates/{template}/delete/", {}), ("/templates/add/", {"name": ""}),
        ("/install/", {"host": host, "name": "neu", "kind": "network", "memory_mib": "64", "vcpus": "1"}),
    ]
    seen, shown = {}, []
    for url, form in posts:
        answer = client.post(url, form, follow=True, HTTP_ACCEPT_LANGUAGE="de")
        shown.append(answer.content.decode())
        for context, where in english_on(answer, url).items():
            seen.setdefault(context, where)
    assert not seen, said(seen)
    # The messages were there to read, in German.
    for message in ("Netzwerk „netz“ gestartet.", "Pool „speicher“ aktualisiert.",
                    "Volume „platte.img“ wurde nicht gelöscht", "Volume „platte.img“ gelöscht.",
                    "Es gibt keine Revision 9 der Daemon-Einstellungen", "bald"):
        assert any(message in page for page in shown), message


def test_a_german_reader_finds_no_english_on_a_qemu_domains_pages(client, owner, live_host, german_compiled):
    # The embedded QEMU host's demo guest, shut off: the pages and cards only a QEMU domain has (the QEMU tab's
    # monitor and passthrough pages, backups, internal snapshots) and the embedded host's own pages.
    client.force_login(owner)
    demo = Domain.objects.get(host=live_host, name="demo").uuid
    host = live_host.pk
    seen = {}
    for url in (f"/domains/{demo}/", f"/domains/{demo}/snapshots/", f"/domains/{demo}/definition/",
                f"/qemu/domains/{demo}/monitor/", f"/qemu/domains/{demo}/commandline/", f"/hosts/{host}/pools/",
                f"/hosts/{host}/networks/", f"/hosts/{host}/nwfilters/", f"/hosts/{host}/daemon/",
                f"/hosts/{host}/isos/", f"/install/?host={host}", "/"):
        for context, where in english_on(client.get(url, HTTP_ACCEPT_LANGUAGE="de"), url).items():
            seen.setdefault(context, where)
    assert not seen, said(seen)


@pytest.mark.django_db
def test_a_refused_password_change_is_said_in_german_and_audited_in_english(client, owner, german_compiled):
    client.force_login(owner)
    answer = client.post("/account/", {"old_password": "falsch", "new_password1": "kurz", "new_password2": "kurz"},
                         HTTP_ACCEPT_LANGUAGE="de")

    assert answer.status_code == 400 and "Das alte Passwort war falsch." in answer.content.decode()
    outcome = AuditEntry.objects.filter(action="password.change").latest("pk").outcome
    assert outcome.startswith("refused: Your old password was entered incorrectly.") and "Passwort" not in outcome
