"""Byte-exact serialisation of a parsed definition: what was not edited is written back as it was read.

lxml alone normalises quotes (libvirt writes `type='kvm'`, lxml `type="kvm"`),
character references, `<a></a>` and attribute spacing, so every revision diff
would be noise. `SourceMap` records the raw text of each start tag, attribute,
end tag, text run, comment and PI as read, with the value lxml saw; the writer
emits the raw text wherever the value is still the same and fresh markup only
for what an edit changed or added.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from lxml import etree

XML_NS = "http://www.w3.org/XML/1998/namespace"

_NAME = r"[^\s/>=<!?\"']+"
_ATTR_RE = re.compile(rf"""(\s+)({_NAME})(\s*=\s*)(["'])(.*?)\4""", re.S)
_TOKEN_RE = re.compile(
    r"(?P<comment><!--.*?-->)"
    r"|(?P<cdata><!\[CDATA\[.*?\]\]>)"
    r"|(?P<pi><\?.*?\?>)"
    r"|(?P<end></[^>]*>)"
    rf"""|(?P<start><{_NAME}(?:\s+{_NAME}\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>)"""
    r"|(?P<text>[^<]+)",
    re.S,
)


class SourceMismatch(Exception):
    """The raw text and lxml's tree disagree; the document is then written by lxml alone."""


@dataclass
class RawAttribute:
    space: str
    qname: str
    equals: str
    quote: str
    raw_value: str
    key: str | None  # lxml attribute key; None for xmlns declarations

    def text(self) -> str:
        return f"{self.space}{self.qname}{self.equals}{self.quote}{self.raw_value}{self.quote}"


@dataclass
class RawElement:
    tag: str
    head: str  # "<name"
    attributes: list[RawAttribute]
    trailing: str  # whitespace before ">" or "/>"
    self_closing: bool
    attrib_snapshot: tuple
    line: int
    column: int
    end: str | None = None


@dataclass
class SourceMap:
    """Raw text of one document, keyed by the lxml nodes it was read into."""

    elements: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)  # (node, "text"|"tail") -> (raw, value)
    others: dict = field(default_factory=dict)  # comment/PI -> (raw, snapshot)
    prolog: str = ""
    epilog: str = ""
    prolog_nodes: tuple = ()
    epilog_nodes: tuple = ()
    quote: str = "'"

    def position(self, element) -> tuple[int, int] | None:
        raw = self.elements.get(element)
        return (raw.line, raw.column) if raw else None


def _snapshot(node):
    if isinstance(node, etree._Comment):
        return ("comment", node.text)
    if isinstance(node, etree._ProcessingInstruction):
        return ("pi", node.target, node.text)
    return ("element", node.tag)


def _attribute_key(qname: str, nsmap: dict) -> str | None:
    if qname == "xmlns" or qname.startswith("xmlns:"):
        return None
    if ":" not in qname:
        return qname
    prefix, local = qname.split(":", 1)
    uri = XML_NS if prefix == "xml" else nsmap.get(prefix)
    if uri is None:
        raise SourceMismatch(f"unknown prefix {prefix}")
    return f"{{{uri}}}{local}"


def build_source_map(text: str, root) -> SourceMap:
    """Tokenise `text` (well-formed, no DOCTYPE: lxml has parsed it already) against `root`'s tree."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    smap = SourceMap()
    nodes = iter(root.iter())
    stack: list = []
    target = None  # (node, "text"|"tail") that the next text run belongs to
    run_start = None
    root_start = root_end = None
    singles = doubles = 0
    pos = 0

    def close_run(end):
        nonlocal run_start
        if target is not None and run_start is not None:
            node, kind = target
            value = node.text if kind == "text" else node.tail
            smap.texts[target] = (text[run_start:end], value)
        run_start = None

    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise SourceMismatch(f"cannot tokenise at offset {pos}")
        kind = match.lastgroup
        token = match.group()
        if kind in ("text", "cdata"):
            if stack and run_start is None:
                run_start = pos
            pos = match.end()
            continue
        close_run(pos)
        if not stack and root_start is not None and root_end is None:
            raise SourceMismatch("content after the root element closed")
        if kind == "start":
            element = next(nodes, None)
            if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
                raise SourceMismatch(f"expected an element at offset {pos}")
            self_closing = token.endswith("/>")
            body = token[: -2 if self_closing else -1]
            name_match = re.match(rf"<({_NAME})", body)
            qname = name_match.group(1)
            if qname.split(":")[-1] != etree.QName(element).localname:
                raise SourceMismatch(f"expected <{element.tag}> at offset {pos}, found <{qname}>")
            attributes = []
            rest_at = name_match.end()
            for attr in _ATTR_RE.finditer(body, name_match.end()):
                if attr.start() != rest_at:
                    raise SourceMismatch(f"cannot split the attributes of <{qname}>")
                rest_at = attr.end()
                space, aname, equals, quote, value = attr.groups()
                singles += quote == "'"
                doubles += quote == '"'
                attributes.append(RawAttribute(space, aname, equals, quote, value,
                                               _attribute_key(aname, element.nsmap)))
            trailing = body[rest_at:]
            if trailing.strip():
                raise SourceMismatch(f"unexpected text in <{qname}>")
            line = bisect_right(line_starts, pos)
            raw = RawElement(element.tag, name_match.group(), attributes, trailing, self_closing,
                             tuple(element.attrib.items()), line, pos - line_starts[line - 1] + 1)
            smap.elements[element] = raw
            if root_start is None:
                root_start = pos
            if self_closing:
                target = (element, "tail")
                if not stack:
                    root_end = match.end()
            else:
                stack.append(element)
                target = (element, "text")
        elif kind == "end":
            if not stack:
                raise SourceMismatch(f"unbalanced end tag at offset {pos}")
            element = stack.pop()
            smap.elements[element].end = token
            target = (element, "tail")
            if not stack:
                root_end = match.end()
        else:  # comment or processing instruction
            if root_start is None or root_end is not None:
                pos = match.end()  # prolog/epilog: kept as raw text below
                continue
            node = next(nodes, None)
            expected = etree._Comment if kind == "comment" else etree._ProcessingInstruction
            if not isinstance(node, expected):
                raise SourceMismatch(f"expected a {kind} at offset {pos}")
            smap.others[node] = (token, _snapshot(node))
            target = (node, "tail")
        pos = match.end()
    if root_start is None or root_end is None or stack or next(nodes, None) is not None:
        raise SourceMismatch("the tokens do not cover the whole tree")
    smap.prolog = text[:root_start]
    smap.epilog = text[root_end:]
    smap.prolog_nodes = tuple(_snapshot(n) for n in reversed(list(root.itersiblings(preceding=True))))
    smap.epilog_nodes = tuple(_snapshot(n) for n in root.itersiblings())
    smap.quote = '"' if doubles > singles else "'"
    return smap


# "\r" is escaped because a parser turns a literal one into "\n" (XML line-end normalisation).
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;", "'": "&apos;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def escape_text(value: str) -> str:
    return re.sub(r"[&<>\r]", lambda m: _TEXT_ESCAPES[m.group()], value)


def escape_attribute(value: str) -> str:
    return re.sub(r"[&<>\"'\n\r\t]", lambda m: _ATTR_ESCAPES[m.group()], value)


def _qualified(node, key: str) -> str:
    """`{uri}local` as written in `node`'s scope (prefix:local)."""
    if not key.startswith("{"):
        return key
    uri, local = key[1:].split("}", 1)
    if uri == XML_NS:
        return f"xml:{local}"
    for prefix, ns in node.nsmap.items():
        if ns == uri and prefix:
            return f"{prefix}:{local}"
    raise ValueError(f"attribute {key} has no namespace prefix in scope")


class Writer:
    """Writes a tree back using a SourceMap (may be empty: then everything is written fresh)."""

    def __init__(self, smap: SourceMap | None):
        self.smap = smap or SourceMap()
        self.out: list[str] = []

    def document(self, root) -> str:
        before = list(reversed(list(root.itersiblings(preceding=True))))
        after = list(root.itersiblings())
        if tuple(_snapshot(n) for n in before) == self.smap.prolog_nodes:
            self.out.append(self.smap.prolog)
        else:
            self.out.append("".join(self._other(n) + "\n" for n in before))
        self.node(root)
        if tuple(_snapshot(n) for n in after) == self.smap.epilog_nodes:
            self.out.append(self.smap.epilog)
        else:
            self.out.append("".join("\n" + self._other(n) for n in after))
        return "".join(self.out)

    def fragment(self, node) -> str:
        self.node(node)
        return "".join(self.out)

    def _text(self, node, kind: str) -> None:
        value = node.text if kind == "text" else node.tail
        raw = self.smap.texts.get((node, kind))
        if raw is not None and raw[1] == value:
            self.out.append(raw[0])
        elif value:
            self.out.append(escape_text(value))

    def _other(self, node) -> str:
        raw = self.smap.others.get(node)
        if raw is not None and raw[1] == _snapshot(node):
            return raw[0]
        if isinstance(node, etree._Comment):
            return f"<!--{node.text or ''}-->"
        return f"<?{node.target} {node.text}?>" if node.text else f"<?{node.target}?>"

    def node(self, node) -> None:
        if not isinstance(node.tag, str):
            self.out.append(self._other(node))
            return
        raw = self.smap.elements.get(node)
        if raw is not None and raw.tag != node.tag:
            raw = None
        qname = f"{node.prefix}:{etree.QName(node).localname}" if node.prefix else etree.QName(node).localname
        start = self._start_tag(node, raw, qname)
        empty = len(node) == 0 and not node.text
        if empty and (raw is None or raw.self_closing):
            self.out.append(start + (raw.trailing if raw else "") + "/>")
            return
        self.out.append(start + (raw.trailing if raw and not raw.self_closing else "") + ">")
        self._text(node, "text")
        for child in node:
            self.node(child)
            self._text(child, "tail")
        self.out.append(raw.end if raw is not None and raw.end else f"</{qname}>")

    def _start_tag(self, node, raw: RawElement | None, qname: str) -> str:
        if raw is not None and tuple(node.attrib.items()) == raw.attrib_snapshot:
            return raw.head + "".join(a.text() for a in raw.attributes)
        parts = [raw.head if raw is not None else f"<{qname}"]
        seen = set()
        if raw is not None:
            before = dict(raw.attrib_snapshot)
            for attr in raw.attributes:
                if attr.key is None:
                    parts.append(attr.text())
                    continue
                if attr.key not in node.attrib:
                    continue
                seen.add(attr.key)
                value = node.attrib[attr.key]
                if value == before.get(attr.key):
                    parts.append(attr.text())
                else:
                    parts.append(f"{attr.space}{attr.qname}{attr.equals}{attr.quote}"
                                 f"{escape_attribute(value)}{attr.quote}")
        else:
            parent = node.getparent()
            inherited = parent.nsmap if parent is not None else {}
            for prefix, uri in node.nsmap.items():
                if inherited.get(prefix) != uri:
                    name = f"xmlns:{prefix}" if prefix else "xmlns"
                    parts.append(f" {name}={self.smap.quote}{escape_attribute(uri)}{self.smap.quote}")
        q = self.smap.quote
        for key, value in node.attrib.items():
            if key not in seen:
                parts.append(f" {_qualified(node, key)}={q}{escape_attribute(value)}{q}")
        return "".join(parts)
