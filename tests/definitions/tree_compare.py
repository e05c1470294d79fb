"""Compare two parsed definitions with the edited elements left out, as trees and as raw text."""

import re

from lxml import etree

from domains.definitions.xml.lossless import Writer


def canonical(root: etree._Element, excluded: set, loose: set):
    """A comparable form of the tree without the `excluded` elements.

    Whitespace is compared exactly, except at the `loose` spots ((node, "text"|"tail")
    right before an edited element), where an insertion or removal re-flows the indentation.
    """

    def space(node, kind):
        value = node.text if kind == "text" else node.tail
        if (node, kind) in loose and (value is None or not value.strip()):
            return ""
        return value or ""

    def node(n):
        if isinstance(n, etree._Comment):
            return ("#comment", n.text)
        if isinstance(n, etree._ProcessingInstruction):
            return ("#pi", n.target, n.text)
        kids = tuple((node(c), space(c, "tail")) for c in n if c not in excluded)
        return (n.tag, tuple(n.attrib.items()), tuple(sorted(n.nsmap.items(), key=str)), space(n, "text"), kids)

    return node(root)


def _kept(root, excluded: set) -> list:
    """Nodes in document order, leaving out the excluded subtrees."""
    kept, stack = [], [root]
    while stack:
        node = stack.pop()
        if node in excluded:
            continue
        kept.append(node)
        if isinstance(node.tag, str):
            stack.extend(reversed(list(node)))
    return kept


def _spot(element, touched: set):
    """The whitespace right before element (ignoring other touched nodes): a previous node's tail or the parent's text."""
    previous = element.getprevious()
    while previous is not None and previous in touched:
        previous = previous.getprevious()
    return (previous, "tail") if previous is not None else (element.getparent(), "text")


def loose_spots(before_root, touched_before: set, after_root, touched_after: set) -> tuple[set, set]:
    """The spots, on each side, where an insertion or removal may re-flow the indentation.

    The nodes left after cutting out the touched ones pair up in document order, so a
    spot found on one side is carried over to the same node on the other.
    """
    kept_before, kept_after = _kept(before_root, touched_before), _kept(after_root, touched_after)
    if len(kept_before) != len(kept_after):
        return set(), set()  # the trees differ beyond the touched nodes: canonical() will say where
    to_after = dict(zip(kept_before, kept_after))
    to_before = dict(zip(kept_after, kept_before))
    loose_before, loose_after = set(), set()
    for touched, here, there, mapping in ((touched_before, loose_before, loose_after, to_after),
                                          (touched_after, loose_after, loose_before, to_before)):
        for element in touched:
            node, kind = _spot(element, touched)
            if node in mapping:
                here.add((node, kind))
                there.add((mapping[node], kind))
    return loose_before, loose_after


class _MaskedWriter(Writer):
    def __init__(self, source_map, excluded):
        super().__init__(source_map)
        self.excluded = excluded

    def node(self, node):
        if node in self.excluded:
            self.out.append("\0")
            return
        super().node(node)


def masked_text(document, excluded: set) -> str:
    """The document's text with the excluded elements cut out and layout whitespace between tags dropped.

    What is left (tags as written, quotes, attribute spacing, references, CDATA,
    comments) must be identical before and after an edit.
    """
    text = _MaskedWriter(document.source_map, excluded).document(document.root)
    text = re.sub(r"\s*\0\s*", "", text)
    return re.sub(r">\s+<", "><", text)


def line_indent(element) -> str | None:
    previous = element.getprevious()
    space = previous.tail if previous is not None else element.getparent().text
    if space is None or "\n" not in space:
        return None
    return space.rsplit("\n", 1)[1]
