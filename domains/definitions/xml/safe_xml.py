"""Parse untrusted domain XML safely (no entities, DTDs or network; size and depth limits), losslessly."""

from __future__ import annotations

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from .errors import DefinitionError, ValidationIssue
from .lossless import SourceMap, SourceMismatch, Writer, build_source_map

__all__ = ["DefinitionError", "DomainDocument", "MAX_BYTES", "MAX_DEPTH", "parse", "serialize"]

MAX_BYTES = 1024 * 1024
# Real domain XML nests about 6 deep (domain/devices/disk/source/auth/secret);
# 64 leaves room for deep foreign metadata while refusing pathological input.
MAX_DEPTH = 64

_DECLARATION_RE = re.compile(r"\A(\ufeff?)(<\?xml\s.*?\?>)", re.S)
_ENCODING_RE = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_HIDDEN_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_DOCTYPE_RE = re.compile(r"<!DOCTYPE")


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not thread-safe, and this is cheap.
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, dtd_validation=False, no_network=True,
        huge_tree=False, remove_blank_text=False, remove_comments=False, remove_pis=False,
        strip_cdata=False, collect_ids=False,
    )


class DomainDocument:
    """A parsed definition: the lxml tree to read and edit, and the raw text to write it back unchanged."""

    def __init__(self, root: etree._Element, source_map: SourceMap | None):
        self.root = root
        self.source_map = source_map

    @property
    def tree(self) -> etree._ElementTree:
        return self.root.getroottree()

    def to_xml(self) -> str:
        if self.source_map is None:
            return etree.tostring(self.tree, encoding="unicode")
        return Writer(self.source_map).document(self.root)

    def element_xml(self, element: etree._Element) -> str:
        """One element as it would be written in this document (without its tail)."""
        return Writer(self.source_map).fragment(element)

    def position(self, element: etree._Element) -> tuple[int, int] | None:
        """(line, column) of the element's start tag in the text it was parsed from."""
        return self.source_map.position(element) if self.source_map else None

    def __str__(self) -> str:
        return self.to_xml()


def _decode(data: bytes) -> str:
    match = _ENCODING_RE.match(data)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise DefinitionError(format_lazy(_("The XML is not valid {encoding} text ({error}); save it as UTF-8 and "
                                            "try again."), encoding=encoding, error=str(exc))) from exc


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _refuse_doctype(text: str) -> None:
    # Blank out comments and CDATA (keeping offsets) so a DOCTYPE mentioned there is not refused.
    visible = _HIDDEN_RE.sub(lambda m: " " * len(m.group()), text)
    match = _DOCTYPE_RE.search(visible)
    if match:
        line, column = _line_column(text, match.start())
        raise DefinitionError(
            _("The XML contains a <!DOCTYPE> declaration. Domain definitions never need one, and a DOCTYPE "
              "can declare entities (XML bombs, external-entity file or network reads), so it is refused; "
              "remove the <!DOCTYPE ...> declaration and try again."),
            line=line, column=column)


def _check_depth(root: etree._Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            path = element.getroottree().getpath(element)
            raise DefinitionError(format_lazy(
                _("The XML nests elements {depth} levels deep; definitions are limited to {limit} levels. "
                  "Flatten the deeply nested element and try again."), depth=depth, limit=MAX_DEPTH),
                line=element.sourceline, path=path[:200])
        stack.extend((child, depth + 1) for child in element)


def parse(xml: str | bytes) -> DomainDocument:
    """Parse domain XML from an untrusted source; raises DefinitionError with line and column."""
    if isinstance(xml, bytes):
        if len(xml) > MAX_BYTES:
            raise _too_large(len(xml))
        xml = _decode(xml)
    if not isinstance(xml, str):
        raise TypeError(f"parse() takes str or bytes, not {type(xml).__name__}")
    # Keep the declaration (and a BOM) as raw text only: lxml refuses str input that
    # declares an encoding, and spaces in its place keep line and column numbers.
    declaration = _DECLARATION_RE.match(xml)
    body = xml
    if declaration:
        body = re.sub(r"[^\n]", " ", declaration.group()) + xml[declaration.end():]
    data = body.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise _too_large(len(data))
    if not xml.strip():
        raise DefinitionError(_("The XML is empty; paste or upload a <domain> definition."))
    _refuse_doctype(xml)
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, parser.error_log) from exc
    _check_depth(root)
    try:
        source_map = build_source_map(xml, root)
    except SourceMismatch:
        # Should not happen for well-formed input; the tree is still right, only the
        # formatting of unedited parts would be normalised by lxml.
        source_map = None
    return DomainDocument(root, source_map)


def serialize(document: DomainDocument) -> str:
    return document.to_xml()


def _too_large(size: int) -> DefinitionError:
    return DefinitionError(format_lazy(
        _("The XML is {size} MiB; definitions are limited to {limit} MiB. Remove the oversized content (large "
          "embedded data belongs in a file or volume) and try again."),
        size=f"{size / 1024 / 1024:.1f}", limit=MAX_BYTES // 1024 // 1024))


def _syntax_error(exc: etree.XMLSyntaxError, error_log) -> DefinitionError:
    issues = []
    for entry in error_log:
        if entry.level < etree.ErrorLevels.ERROR:
            continue
        problem = entry.message.strip()
        message = format_lazy(_("Malformed XML: {problem}"), problem=problem)
        if "Excessive depth" in problem or "MaxDepth" in problem:
            message = format_lazy(_("The XML nests elements too deeply; definitions are limited to {limit} levels. "
                                    "Flatten the deeply nested element and try again."), limit=MAX_DEPTH)
        issues.append(ValidationIssue(message, entry.line or None, entry.column or None))
    if not issues:
        issues.append(ValidationIssue(format_lazy(_("Malformed XML: {problem}"), problem=str(exc)),
                                      getattr(exc, "lineno", None)))
    return DefinitionError.from_issues(issues, summary=issues[0].message)
