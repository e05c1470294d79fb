"""Untrusted XML: malformed, unsafe, oversized or schema-invalid input is refused with a clear error."""

import pytest
from lxml import etree

from domains.definitions.xml import safe_xml
from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import MAX_BYTES, parse
from domains.definitions.xml.schema import validate

from .corpus import BAD

# file -> (words the first error must contain, expected line or None)
REFUSED_BY_THE_PARSER = {
    "empty.xml": ("empty", None),
    "malformed-unclosed.xml": ("Malformed XML", 7),
    "malformed-mismatched-tag.xml": ("tag mismatch", 6),
    "malformed-undefined-entity.xml": ("Entity 'nbsp' not defined", 2),
    "not-utf8.xml": ("not valid utf-8", None),
    "too-deep.xml": ("limited to 64 levels", 4),
    "xml-bomb.xml": ("DOCTYPE", 2),
    "xxe-file.xml": ("DOCTYPE", 2),
    "xxe-network.xml": ("DOCTYPE", 1),
    "xxe-parameter-entity.xml": ("DOCTYPE", 1),
}

# file -> the element paths the schema errors must point at
REFUSED_BY_THE_SCHEMA = {
    "schema-unknown-device.xml": ["/domain/devices/flux-capacitor"],
    "schema-bad-values.xml": ["/domain/devices/disk/target", "/domain/devices/interface/mac", "/domain/memory"],
    "schema-not-a-domain.xml": ["/network"],
}


def test_every_bad_input_has_an_expectation():
    stored = {p.name for p in BAD.glob("*.xml")}
    assert stored == set(REFUSED_BY_THE_PARSER) | set(REFUSED_BY_THE_SCHEMA)


@pytest.mark.parametrize("name", sorted(REFUSED_BY_THE_PARSER))
def test_it_refuses_unparseable_or_unsafe_xml_with_a_clear_error(name):
    words, line = REFUSED_BY_THE_PARSER[name]
    with pytest.raises(DefinitionError) as caught:
        parse((BAD / name).read_bytes())
    assert words in caught.value.message
    assert caught.value.line == line
    assert validate((BAD / name).read_bytes()) == caught.value.issues


@pytest.mark.parametrize("name", sorted(REFUSED_BY_THE_SCHEMA))
def test_schema_errors_carry_line_column_and_element_path(name):
    issues = validate((BAD / name).read_bytes())
    assert sorted(i.path for i in issues) == sorted(REFUSED_BY_THE_SCHEMA[name])
    for issue in issues:
        assert issue.line and issue.column, issue
        assert issue.message


def test_an_unknown_device_is_pinned_on_its_line_and_column():
    [issue] = validate((BAD / "schema-unknown-device.xml").read_bytes())
    assert (issue.line, issue.column) == (12, 5)
    assert "flux-capacitor" in issue.message


def test_it_refuses_a_definition_over_the_size_limit():
    padding = "<!--" + "x" * MAX_BYTES + "-->"
    text = f"<domain type='qemu'><name>big</name>{padding}</domain>"
    for data in (text, text.encode()):
        with pytest.raises(DefinitionError, match="limited to 1 MiB"):
            parse(data)


def test_it_refuses_nesting_beyond_what_libxml2_allows_with_the_same_message():
    with pytest.raises(DefinitionError, match="limited to 64 levels"):
        parse("<domain>" + "<a>" * 300 + "</a>" * 300 + "</domain>")


def test_a_doctype_mentioned_inside_a_comment_is_not_refused():
    text = "<domain><!-- never paste a <!DOCTYPE here --><name>a</name></domain>"
    assert parse(text).to_xml() == text


def test_the_parser_itself_neither_expands_entities_nor_reads_files():
    # Defence in depth: even if the DOCTYPE check were bypassed, the parser settings
    # must neither read /etc/passwd nor expand the billion laughs.
    root = etree.fromstring((BAD / "xxe-file.xml").read_bytes(), safe_xml._parser())
    assert "root:" not in "".join(root.itertext())
    try:
        root = etree.fromstring((BAD / "xml-bomb.xml").read_bytes(), safe_xml._parser())
    except etree.XMLSyntaxError as exc:  # libxml2's own amplification guard
        assert "amplification" in str(exc)
    else:
        assert len("".join(root.itertext())) < 1000


def test_a_definition_error_lists_every_issue_as_dicts():
    error = DefinitionError.from_issues(validate((BAD / "schema-bad-values.xml").read_bytes()))
    dicts = error.as_dicts()
    assert len(dicts) == 3
    assert set(dicts[0]) == {"message", "line", "column", "path"}
