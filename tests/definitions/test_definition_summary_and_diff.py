"""The summary columns read from a definition, and the highlighted diff between two revisions."""

import pytest

from domains.revisions.diff import DiffLine, diff_lines, unified_diff
from domains.definitions.xml.safe_xml import parse
from domains.definitions.xml.summary import summary

from .corpus import VALID, ids, read

DATA = {p.stem: p for p in VALID}


def test_it_summarises_a_virsh_dumpxml_definition():
    facts = summary(parse(read(DATA["02-virsh-dumpxml-q35"])))
    assert facts["name"] == "web01"
    assert facts["uuid"] == "6b2f1e3a-9c1d-4e7b-8a55-2f7c3d9e0a11"
    assert (facts["vcpus"], facts["max_vcpus"]) == (4, 4)
    assert (facts["memory_kib"], facts["max_memory_kib"]) == (4194304, 4194304)
    assert (facts["os_type"], facts["arch"], facts["machine"]) == ("hvm", "x86_64", "pc-q35-7.2")
    assert [(d["target"], d["bus"], d["device"]) for d in facts["disks"]] == [("vda", "virtio", "disk"),
                                                                             ("sda", "sata", "cdrom")]
    assert facts["nics"] == [{"type": "network", "mac": "52:54:00:3c:7d:21", "source": "default", "model": "virtio"}]
    assert facts["graphics"] == [{"type": "vnc", "listen": "127.0.0.1", "port": "5900", "autoport": "yes"}]
    assert facts["serials"] == [{"type": "pty", "target_type": "isa-serial", "port": 0}]


def test_it_converts_memory_units_and_reads_online_vcpus():
    facts = summary(parse(read(DATA["08-unusual-ordering"])))
    assert (facts["memory_kib"], facts["max_memory_kib"]) == (262144, 524288)
    assert (facts["vcpus"], facts["max_vcpus"]) == (1, 2)
    assert facts["name"] == "backwards"


def test_it_names_volume_disks_by_pool_and_volume():
    disks = summary(parse(read(DATA["23-network-disks"])))["disks"]
    assert {"target": "vdc", "source": "default/data.qcow2"}.items() <= next(d for d in disks if d["target"] == "vdc").items()


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
def test_every_corpus_document_has_a_summary_with_a_name(path):
    facts = summary(parse(read(path)))
    assert facts["name"]
    assert facts["os_type"] == "hvm"


def test_a_diff_tags_its_lines_for_highlighting():
    old = "<domain>\n  <name>a</name>\n  <vcpu>1</vcpu>\n</domain>\n"
    new = "<domain>\n  <name>a</name>\n  <vcpu>2</vcpu>\n</domain>\n"
    assert diff_lines(old, new, "revision 1", "revision 2") == [
        DiffLine("header", "--- revision 1"), DiffLine("header", "+++ revision 2"),
        DiffLine("header", "@@ -1,4 +1,4 @@"),
        DiffLine("context", "<domain>"), DiffLine("context", "  <name>a</name>"),
        DiffLine("remove", "  <vcpu>1</vcpu>"), DiffLine("add", "  <vcpu>2</vcpu>"),
        DiffLine("context", "</domain>"),
    ]


def test_a_removed_comment_end_is_not_taken_for_a_header():
    lines = diff_lines("a\n-->\nb\n", "a\nb\n")
    assert DiffLine("remove", "-->") in lines


def test_equal_texts_have_an_empty_diff():
    assert diff_lines("<a/>", "<a/>") == []
    assert unified_diff("<a/>", "<a/>") == ""


def test_the_plain_diff_is_a_unified_diff():
    assert unified_diff("x\n", "y\n").splitlines() == ["--- before", "+++ after", "@@ -1 +1 @@", "-x", "+y"]
