"""Command-line passthrough and the registry's path back to the core, against the real demo guest."""

import re
from pathlib import Path

import libvirt
import pytest

from domains.definitions.models import DefinitionRevision
from domains.lifecycle.actions import do_domain_action
from qemu_extras.namespace.changes import digest
from tests.qemu_extras.conftest import api_client, demo_dom, domain_row, post_json, put_back

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE


@pytest.fixture(scope="module")
def original_definition(embedded_host, django_db_blocker):
    """The demo guest shut off, and its definition put back as it was after the module."""
    dom = demo_dom(embedded_host)
    if dom.isActive():
        dom.destroy()
    original = dom.XMLDesc(INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)
    yield original
    put_back(embedded_host, original, django_db_blocker)


@pytest.fixture
def demo(original_definition, embedded_host, transactional_db):
    return domain_row(embedded_host)


def commandline(client, domain, **body):
    return post_json(client, f"/api/qemu/v1/domains/{domain.uuid}/commandline", body)


REFUSED = [
    (["-serial", "stdio"], "-serial", "no terminal"),
    (["-monitor", "stdio"], "-monitor", "no terminal"),
    (["-chardev", "stdio,id=c0"], "-chardev", "no terminal"),
    (["-display", "curses"], "-display", "no terminal"),
    (["-display", "gtk"], "-display", "desktop session"),
    (["-nographic"], "-nographic", "no terminal"),
    (["-daemonize"], "-daemonize", "loses track"),
    (["-netdev", "tap,id=n0,script=/etc/qemu-ifup"], "-netdev", "CAP_NET_ADMIN"),
    (["-serial stdio"], "-serial", "containing a space"),
]


@pytest.mark.parametrize("args, option, words", REFUSED)
def test_each_command_line_check_refuses_and_nothing_is_defined(owner, demo, embedded_host, args, option, words):
    before = demo_dom(embedded_host).XMLDesc(INACTIVE)
    response = commandline(api_client(owner), demo, args=args)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "commandline_refused"
    problem = body["fields"]["problems"][0]
    assert problem["option"] == option and words in problem["message"] and problem["alternative"]
    assert demo_dom(embedded_host).XMLDesc(INACTIVE) == before


def test_a_bad_environment_name_is_refused(owner, demo):
    response = commandline(api_client(owner), demo, env=[["1BAD", "x"]])
    assert response.status_code == 400
    assert response.json()["fields"]["problems"][0]["kind"] == "env"


def test_the_form_shows_each_problem_with_its_explanation_and_alternative(owner, demo):
    page = api_client(owner).post(f"/qemu/domains/{demo.uuid}/commandline/",
                                  {"args": "-serial\nstdio", "step": "apply", "digest": ""})
    text = page.content.decode()
    assert page.status_code == 200 and 'id="refusal"' in text
    assert "no terminal" in text and "pty" in text


def test_changing_the_command_line_needs_monitor_admin(teammate, operator_grant, demo):
    response = commandline(api_client(teammate), demo, args=["-msg", "timestamp=on"])
    assert response.status_code == 403 and response.json()["fields"]["permission"] == "monitor_admin"


def test_a_stale_review_is_not_applied(owner, demo):
    response = commandline(api_client(owner), demo, args=["-msg", "timestamp=on"], digest="0" * 64)
    assert response.status_code == 409 and response.json()["code"] == "stale"


def qemu_process(host):
    root = re.search(r"root=([^&]+)", host.uri).group(1)
    pid = int((Path(root) / "run" / "qemu" / "demo.pid").read_text().strip())
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return [a.decode() for a in argv], [e.decode() for e in environ]


def test_accepted_args_reach_the_qemu_process_and_a_registry_rewrite_brings_them_back_to_the_core(
        owner, demo, embedded_host):
    client = api_client(owner)
    dry = commandline(client, demo, args=["-device", "virtio-rng-pci,addr=0x9", "-msg", "timestamp=on"],
                      env=[["VIRTCONSOLE_MARK", "qemu-extras"]], dry_run=True)
    assert dry.status_code == 200 and dry.json()["defined"] is False
    assert "+    <qemu:arg value='virtio-rng-pci,addr=0x9'/>" in dry.json()["diff"]
    applied = commandline(client, demo, args=["-device", "virtio-rng-pci,addr=0x9", "-msg", "timestamp=on"],
                          env=[["VIRTCONSOLE_MARK", "qemu-extras"]], digest=dry.json()["digest"])
    assert applied.status_code == 200, applied.json()
    assert client.get(f"/api/qemu/v1/domains/{demo.uuid}/commandline").json()["args"][1] == "virtio-rng-pci,addr=0x9"

    do_domain_action(owner, demo, "start")
    try:
        argv, environ = qemu_process(embedded_host)
        assert argv[argv.index("virtio-rng-pci,addr=0x9") - 1] == "-device"
        assert argv[argv.index("timestamp=on") - 1] == "-msg"
        assert "VIRTCONSOLE_MARK=qemu-extras" in environ
        flags = {m["flag"] for m in client.get(f"/api/qemu/v1/domains/{demo.uuid}/taints").json()["messages"]}
        assert "custom-argv" in flags
    finally:
        do_domain_action(owner, demo, "destroy")

    extras = client.get(f"/api/qemu/v1/domains/{demo.uuid}/extras").json()
    assert [(e["driver"], e["rewritable"]) for e in extras["extras"]] == [("virtio-rng-pci", True)]
    page = client.get(f"/domains/{demo.uuid}/").content.decode()
    assert "can be written as" in page and "Review the rewrite" in page
    review = client.get(f"/qemu/domains/{demo.uuid}/rewrites/0/").content.decode()
    assert "diff-add" in review and "&lt;rng model=&#x27;virtio&#x27;&gt;" in review

    rewrite = extras["rewrites"][0]
    response = post_json(client, f"/api/qemu/v1/domains/{demo.uuid}/rewrites",
                         {"index": 0, "digest": rewrite["digest"]})
    assert response.status_code == 200, response.json()
    xml = demo_dom(embedded_host).XMLDesc(INACTIVE)
    assert "<rng model='virtio'>" in xml and "<backend model='builtin'/>" in xml
    assert "virtio-rng-pci" not in xml and "<qemu:arg value='-device'/>" not in xml
    assert "<qemu:arg value='timestamp=on'/>" in xml, "the other passthrough stays"
    assert digest(xml) != rewrite["digest"]
    revision = DefinitionRevision.objects.filter(domain=demo).order_by("-number").first()
    assert revision.reason.startswith("Replace the passthrough -device virtio-rng-pci") and revision.source == "api"
