"""The lossless property: over the whole corpus, an edit changes its target and nothing else."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.definitions.xml.errors import DefinitionError
from domains.definitions.xml.safe_xml import parse
from domains.definitions.xml.schema import validate_document

from .corpus import VALID, ids, read
from .edit_catalogue import any_edit
from .tree_compare import canonical, line_indent, loose_spots, masked_text

# 25 per document keeps the run short; set DEFINITION_EXAMPLES=1000 (and DEFINITION_RANDOM=1) to hunt.
EXAMPLES_PER_DOCUMENT = int(os.environ.get("DEFINITION_EXAMPLES", "25"))
DERANDOMIZE = not os.environ.get("DEFINITION_RANDOM")


def _newest_ancestor(element, before, after):
    """The element, or its highest ancestor that the edit created along with it (e.g. <devices>)."""
    while element.getparent() is not None and not before.tree.xpath(after.tree.getpath(element.getparent())):
        element = element.getparent()
    return element


@pytest.mark.parametrize("path", VALID, ids=ids(VALID))
@settings(max_examples=EXAMPLES_PER_DOCUMENT, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_edit_changes_its_target_and_nothing_else(path, data):
    text = read(path)
    before = parse(text)
    after = parse(text)
    edit = data.draw(any_edit(before.root), label="edit")

    try:
        created = edit.apply(after)
    except DefinitionError as error:
        # A refused edit names the problem and leaves no trace.
        assert error.message.strip()
        assert after.to_xml() == text
        return

    created = created if isinstance(created, list) else []  # add_* edits report what they created
    touched_before = set(edit.touched(before.root))
    # A removal leaves nothing to look up afterwards (an index would find the next sibling).
    touched_after = set() if edit.name.startswith("remove_") else set(edit.touched(after.root))
    touched_after |= {_newest_ancestor(e, before, after) for e in created}
    # The whitespace just before an edited element may re-flow (indentation of an insertion or removal).
    loose_before, loose_after = loose_spots(before.root, touched_before, after.root, touched_after)

    # 1. The trees agree everywhere but the touched elements (comments, PIs, namespaces, order included).
    assert canonical(before.root, touched_before, loose_before) == canonical(after.root, touched_after, loose_after)
    # 2. The raw text agrees too: quotes, attribute layout, references, CDATA, comments.
    assert masked_text(before, touched_before) == masked_text(after, touched_after)
    # 3. What is written is what the tree holds, and writing again changes nothing.
    written = after.to_xml()
    reparsed = parse(written)
    assert canonical(reparsed.root, set(), set()) == canonical(after.root, set(), set())
    assert reparsed.to_xml() == written
    # 4. A valid definition stays valid against libvirt's schema.
    assert validate_document(reparsed) == []
    # 5. New elements are indented like their siblings.
    for element in created:
        siblings = [s for s in element.itersiblings() if isinstance(s.tag, str)] + \
                   [s for s in element.itersiblings(preceding=True) if isinstance(s.tag, str)]
        if siblings and line_indent(siblings[0]) is not None:
            assert line_indent(element) == line_indent(siblings[0])
    # 6. The edit did what it says.
    edit.check(after)


def test_the_lossless_property_covers_every_corpus_document():
    assert len(VALID) >= 25
