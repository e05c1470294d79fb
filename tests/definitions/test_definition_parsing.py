"""Parsing is lossless: an unedited definition is written back byte for byte."""

import pytest
from lxml import etree

from domains.definitions.xml.safe_xml import parse

from .corpus import VALID, ids, read


def test_the_corpus_has_at_least_25_documents():
    assert len(VALID) >= 25


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
def test_it_writes_an_unedited_document_back_byte_for_byte(path):
    text = read(path)
    document = parse(text)
    assert document.source_map is not None, "the raw text could not be mapped onto the tree"
    assert document.to_xml() == text


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
def test_it_reads_the_same_bytes_as_text(path):
    assert parse(path.read_bytes()).to_xml() == read(path)


def test_it_keeps_comments_pis_namespaces_and_quotes():
    text = read(next(p for p in VALID if p.stem.startswith("07-")))
    root = parse(text).root
    assert root.getprevious().target == "virtconsole"
    assert isinstance(root.getnext(), etree._Comment)
    assert any(isinstance(node, etree._Comment) for node in root.iter())


def test_it_keeps_the_xml_declaration():
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<domain type=\'qemu\'><name>a</name></domain>'
    assert parse(text).to_xml() == text
    assert parse(text.encode()).to_xml() == text


def test_it_reads_latin1_bytes_that_declare_their_encoding():
    data = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain><name>café</name></domain>".encode("latin-1")
    assert parse(data).root.findtext("name") == "café"


def test_it_reports_positions_of_start_tags():
    document = parse("<domain>\n  <name>a</name>\n    <os><type>hvm</type></os>\n</domain>")
    assert document.position(document.root.find("os/type")) == (3, 9)


def test_a_changed_value_keeps_the_attribute_quote_and_spacing():
    document = parse("<domain>\n  <vcpu placement = 'static'  current=\"1\">2</vcpu>\n</domain>")
    vcpu = document.root.find("vcpu")
    vcpu.set("current", "2")
    vcpu.set("cpuset", "0-1")
    assert document.to_xml() == "<domain>\n  <vcpu placement = 'static'  current=\"2\" cpuset='0-1'>2</vcpu>\n</domain>"


def test_changed_text_is_escaped_and_survives_a_reparse():
    document = parse("<domain><description>old</description></domain>")
    value = "a < b & c > d\r\nline ]]> end 'q' \"dq\""
    document.root.find("description").text = value
    assert parse(document.to_xml()).root.findtext("description") == value


def test_a_document_without_raw_text_is_still_written():
    root = etree.fromstring("<domain><name>x</name></domain>")
    from domains.definitions.xml.safe_xml import DomainDocument

    assert DomainDocument(root, None).to_xml() == "<domain><name>x</name></domain>"


def test_changing_one_attribute_keeps_the_others_exactly_as_written():
    text = "<domain><source file='/srv/&#65;\"b\"&amp;c.img' index = \"2\"/></domain>"
    document = parse(text)
    document.root.find("source").set("index", "3")
    assert document.to_xml() == "<domain><source file='/srv/&#65;\"b\"&amp;c.img' index = \"3\"/></domain>"
