"""Compare two parsed definitions with the edited elements left out, as trees and as raw text."""

import re

from lxml import etree

from domains.definitions.lossless import Writer


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


def _index_path(node) -> tuple:
    """Positions from the root down to node (comments count): stable for nodes before an edit."""
    path = []
    while node.getparent() is not None:
        path.append(node.getparent().index(node))
        node = node.getparent()
    return tuple(reversed(path))


def _walk(root, path: tuple):
    for position in path:
        if position >= len(root):
            return None  # only in the other tree (created by the edit)
        root = root[position]
    return root


def spots_before(elements) -> set:
    """(index path, kind) of the whitespace right before each element: the previous node's tail or the parent's text."""
    spots = set()
    for element in elements:
        previous = element.getprevious()
        if previous is not None:
            spots.add((_index_path(previous), "tail"))
        elif element.getparent() is not None:
            spots.add((_index_path(element.getparent()), "text"))
    return spots


def resolve_spots(root, spots: set) -> set:
    found = {(_walk(root, path), kind) for path, kind in spots}
    return {(node, kind) for node, kind in found if node is not None}


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
