"""Compare two parsed definitions with the edited elements left out, as trees and as raw text."""

import re

from lxml import etree

from domains.definitions.lossless import Writer


def canonical(root: etree._Element, excluded: set, loose: set):
    """A comparable form of the tree without the `excluded` elements.

    Whitespace-only text is compared exactly, except inside the `loose` elements
    (the parents of edited elements), where an edit re-flows the indentation.
    """

    def space(value, is_loose):
        if is_loose and (value is None or not value.strip()):
            return ""
        return value or ""

    def node(n):
        if isinstance(n, etree._Comment):
            return ("#comment", n.text)
        if isinstance(n, etree._ProcessingInstruction):
            return ("#pi", n.target, n.text)
        is_loose = n in loose
        kids = tuple((node(c), space(c.tail, is_loose)) for c in n if c not in excluded)
        return (n.tag, tuple(n.attrib.items()), tuple(sorted(n.nsmap.items(), key=str)),
                space(n.text, is_loose), kids)

    return node(root)


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
