"""Read and write the qemu: namespace of a definition (commandline, capabilities, override, deprecation) losslessly."""

import difflib
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.definitions.xml import placement
from domains.definitions.xml.errors import DefinitionError
from qemu_extras.namespace.commandline_checks import QEMU_NS, commandline_of

DEPRECATION_BEHAVIORS = ("none", "omit", "reject", "crash")
PROPERTY_TYPES = ("string", "signed", "unsigned", "bool", "remove")
# The order libvirt writes the qemu: elements in (qemuDomainDefNamespaceFormatXML).
ORDER = ("commandline", "capabilities", "override", "deprecation")


def q(name):
    return f"{{{QEMU_NS}}}{name}"


@dataclass
class OverrideProperty:
    alias: str
    name: str
    type: str
    value: str | None = None


@dataclass
class QemuNamespace:
    """Everything in a definition's qemu: namespace, as plain values."""

    args: list = field(default_factory=list)
    env: list = field(default_factory=list)  # (name, value or None)
    capabilities_add: list = field(default_factory=list)
    capabilities_del: list = field(default_factory=list)
    overrides: list = field(default_factory=list)  # OverrideProperty
    deprecation: str = ""  # "" when there is no <qemu:deprecation>

    @property
    def empty(self):
        return not (self.args or self.env or self.capabilities_add or self.capabilities_del or self.overrides
                    or self.deprecation)


def read_namespace(document):
    """The QemuNamespace of a parsed definition."""
    root = document.root
    args, env = commandline_of(root)
    found = QemuNamespace(args=args, env=env)
    capabilities = root.find(q("capabilities"))
    if capabilities is not None:
        found.capabilities_add = [e.get("capability", "") for e in capabilities.iterchildren(q("add"))]
        found.capabilities_del = [e.get("capability", "") for e in capabilities.iterchildren(q("del"))]
    override = root.find(q("override"))
    if override is not None:
        for device in override.iterchildren(q("device")):
            for prop in device.iterfind(f"{q('frontend')}/{q('property')}"):
                found.overrides.append(OverrideProperty(device.get("alias", ""), prop.get("name", ""),
                                                        prop.get("type", "string"), prop.get("value")))
    deprecation = root.find(q("deprecation"))
    if deprecation is not None:
        found.deprecation = deprecation.get("behavior", "")
    return found


def _new(name, attributes=None):
    element = etree.Element(q(name), nsmap={"qemu": QEMU_NS})
    for key, value in (attributes or {}).items():
        if value is not None:
            element.set(key, placement.xml_safe(str(value), f"qemu:{name} {key}"))
    return element


def _container(root, name):
    """The qemu:<name> element of root, created at libvirt's place among the other qemu: elements."""
    found = root.find(q(name))
    if found is not None:
        return found
    element = _new(name)
    later = [root.find(q(other)) for other in ORDER[ORDER.index(name) + 1:]]
    later = [e for e in later if e is not None]
    if later:
        _insert_before(later[0], element)
    else:
        # An empty order list makes placement append after the last child, laid out like its siblings.
        placement.insert(root, element, order=[])
    return element


def _drop_if_empty(element):
    if element is not None and len(element) == 0:
        placement.remove(element)


def _insert_before(before, element):
    """Put element just before `before`, on a line of its own like it."""
    space = before.getprevious().tail if before.getprevious() is not None else before.getparent().text
    before.addprevious(element)
    element.tail = space


def _sync_children(parent, tag, wanted, key, build, before_others=None):
    """Make parent's <tag> children match wanted (a list of keys), keeping every unchanged element as it was.

    New elements go where their neighbours in `wanted` are; with none left, before the first
    child of tag `before_others` (libvirt wants <qemu:arg> before <qemu:env>), else at the end.
    """
    existing = list(parent.iterchildren(tag))
    matcher = difflib.SequenceMatcher(a=[key(e) for e in existing], b=wanted, autojunk=False)
    for op, a1, a2, b1, b2 in reversed(matcher.get_opcodes()):
        if op == "equal":
            continue
        for element in existing[a1:a2]:
            placement.remove(element)
        following = existing[a2] if a2 < len(existing) else None
        if following is None and before_others is not None:
            following = parent.find(before_others)
        for value in wanted[b1:b2]:
            element = build(value)
            if following is not None:
                _insert_before(following, element)
            else:
                placement.insert(parent, element, order=[])


def _set_lists(root, name, parts):
    """Make qemu:<name> hold the wanted children of each part, in part order; drop it when all are empty.

    parts: (child tag, wanted keys, key of an element, build an element from a key), earlier parts first.
    """
    element = root.find(q(name))
    if not any(wanted for _tag, wanted, _key, _build in parts):
        if element is not None:
            for child in list(element.iterchildren(*(q(tag) for tag, *_rest in parts))):
                placement.remove(child)
            _drop_if_empty(element)
        return
    element = element if element is not None else _container(root, name)
    for number, (tag, wanted, key, build) in enumerate(parts):
        later = q(parts[number + 1][0]) if number + 1 < len(parts) else None
        _sync_children(element, q(tag), list(wanted), key, build, before_others=later)


def _set_commandline(root, args, env):
    _set_lists(root, "commandline", [
        ("arg", list(args), lambda e: e.get("value", ""), lambda v: _new("arg", {"value": v})),
        ("env", [tuple(pair) for pair in env], lambda e: (e.get("name", ""), e.get("value")),
         lambda pair: _new("env", {"name": pair[0], "value": pair[1]})),
    ])


def _set_capabilities(root, add, delete):
    def capability(tag):
        return (tag, list(add if tag == "add" else delete), lambda e: e.get("capability", ""),
                lambda v: _new(tag, {"capability": v}))

    _set_lists(root, "capabilities", [capability("add"), capability("del")])


def _set_overrides(root, overrides):
    element = root.find(q("override"))
    current = read_namespace_overrides(element)
    wanted = [(o.alias, o.name, o.type, o.value) for o in overrides]
    if current == wanted:
        return
    if element is not None:
        placement.remove(element)
    if not overrides:
        return
    element = _container(root, "override")
    by_alias = {}
    for item in overrides:
        if item.alias not in by_alias:
            device = _new("device", {"alias": item.alias})
            frontend = _new("frontend")
            device.append(frontend)
            placement.insert(element, device, order=[])
            by_alias[item.alias] = frontend
        value = None if item.type == "remove" else item.value
        placement.insert(by_alias[item.alias], _new("property", {"name": item.name, "type": item.type,
                                                                 "value": value}), order=[])


def read_namespace_overrides(element):
    if element is None:
        return []
    return [(device.get("alias", ""), prop.get("name", ""), prop.get("type", "string"), prop.get("value"))
            for device in element.iterchildren(q("device"))
            for prop in device.iterfind(f"{q('frontend')}/{q('property')}")]


def _set_deprecation(root, behavior):
    element = root.find(q("deprecation"))
    if not behavior:
        if element is not None:
            placement.remove(element)
        return
    if behavior not in DEPRECATION_BEHAVIORS:
        raise DefinitionError(format_lazy(_("Deprecation behavior '{behavior}' is not one of {behaviors}."),
                                          behavior=behavior, behaviors=", ".join(DEPRECATION_BEHAVIORS)))
    element = element if element is not None else _container(root, "deprecation")
    if element.get("behavior") != behavior:
        element.set("behavior", behavior)


def check_values(namespace):
    """Refuse values libvirt's schema would refuse, naming the field."""
    for item in namespace.overrides:
        if not item.alias.startswith("ua-"):
            raise DefinitionError(format_lazy(_("Override alias '{alias}' must be a user alias starting with 'ua-': "
                                                "give the device <alias name='ua-…'/> in the definition and use that "
                                                "name here."), alias=item.alias))
        if item.type not in PROPERTY_TYPES:
            raise DefinitionError(format_lazy(_("Override property type '{type}' is not one of {types}."),
                                              type=item.type, types=", ".join(PROPERTY_TYPES)))
        if item.type != "remove" and item.value is None:
            raise DefinitionError(format_lazy(_("Override property '{name}' of '{alias}' needs a value."),
                                              name=item.name, alias=item.alias))
    for capability in namespace.capabilities_add + namespace.capabilities_del:
        if not capability or any(c.isspace() for c in capability):
            raise DefinitionError(format_lazy(_("Capability '{capability}' is not a QEMU capability name (one word, "
                                                "e.g. 'blockdev')."), capability=capability))



def write_namespace(document, namespace):
    """Make the document's qemu: namespace say what namespace says, touching only what changed."""
    check_values(namespace)
    root = document.root
    _set_commandline(root, namespace.args, namespace.env)
    _set_capabilities(root, namespace.capabilities_add, namespace.capabilities_del)
    _set_overrides(root, namespace.overrides)
    _set_deprecation(root, namespace.deprecation)
    return document
