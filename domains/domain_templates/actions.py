"""Creating, changing and deleting domain templates (manage_templates everywhere), and turning a domain into one;
each audited."""

from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.domain_templates.models import Template
from domains.errors import ConsoleError
from domains.install import osinfo
from domains.install.plan import DISK_FORMAT_REFUSED, DISK_FORMATS, InstallError, read_plan
from domains.libvirt import clones as libvirt_clones
from domains.libvirt import storage as libvirt_storage
from domains.quotas.limits import definition_use

PERMISSION = "manage_templates"
FIELDS = ("name", "description", "os", "vcpus", "memory_mib", "disk_size_gib", "disk_pool", "disk_format", "install",
          "networks", "cloud_init")


class TemplateError(ConsoleError):
    """A template that would not make a domain as it stands: what is wrong and what to change."""

    code = "invalid_template"


def _check(template):
    """Refuse a template whose create body the install plan would refuse (its OS, install source, sizes...)."""
    if not template.name.strip():
        raise TemplateError(_("A template needs a name."), fields={"name": [_("Give the template a name.")]})
    if template.cloud_init and "password" in template.cloud_init:
        raise TemplateError(_("A template keeps no password (it would be readable by everyone who may create): "
                              "give ssh_keys, or the password when creating from it."),
                            fields={"cloud_init": ["password"]})
    if template.disk_format not in DISK_FORMATS:
        raise TemplateError(format_lazy(DISK_FORMAT_REFUSED, format=repr(template.disk_format)),
                            fields={"disk_format": [_("qcow2 or raw")]})
    try:
        read_plan(template.create_body({"name": "template-check"}))
    except InstallError as exc:
        raise TemplateError(format_lazy(_("Template '{name}': {problem}"), name=template.name, problem=exc.message),
                            fields={"template": [exc.message]}) from exc


def _save(template):
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise TemplateError(format_lazy(_("A template named '{name}' exists already: pick another name."),
                                        name=template.name), code="name_taken", status=409,
                            fields={"name": [_("taken")]}) from exc


def do_create_template(actor, data, source_address=None):
    """A new Template from data (its fields); returns it."""
    audit.require(actor, PERMISSION, None, "template.create", {"name": data.get("name")}, source_address)
    template = Template(created_by=actor, **{field: data[field] for field in FIELDS if field in data})
    _check(template)
    _save(template)
    audit.record(actor, "template.create", template, _params(template), source_address=source_address)
    return template


def do_update_template(actor, template, data, source_address=None):
    """Change the fields data gives; returns the template."""
    audit.require(actor, PERMISSION, None, "template.change", {"template": template.pk}, source_address)
    for field in FIELDS:
        if field in data:
            setattr(template, field, data[field])
    _check(template)
    _save(template)
    audit.record(actor, "template.change", template, _params(template), source_address=source_address)
    return template


def do_delete_template(actor, template, source_address=None):
    audit.require(actor, PERMISSION, None, "template.delete", {"template": template.pk}, source_address)
    audit.record(actor, "template.delete", template, _params(template), source_address=source_address)
    template.delete()


def _params(template):
    return {field: getattr(template, field) for field in FIELDS if field != "cloud_init"}


def _os_of(root):
    """The osinfo short id the definition's libosinfo metadata names, or ''."""
    for element in root.iter("{http://libosinfo.org/xmlns/libvirt/domain/1.0}os"):
        wanted = element.get("id")
        for variant in osinfo.variants():
            if variant.id == wanted:
                return variant.short_id
    return ""


def _boot_volume(host, root):
    """'pool/volume' of the domain's first disk that a pool holds, or None."""
    for source in root.iterfind("devices/disk[@device='disk']/source"):
        if source.get("pool") and source.get("volume"):
            return f"{source.get('pool')}/{source.get('volume')}"
        path = source.get("file") or source.get("dev")
        found = libvirt_storage.volume_by_path(host, path) if path else None
        if found is not None:
            return f"{libvirt_storage.pool_name_of(found[0])}/{libvirt_storage.volume_identity(found[1])[0]}"
    return None


def template_fields_of(domain):
    """The template fields a domain's definition gives: sizes, OS, networks, and its first pool disk as the image.

    The image is the domain's own volume, not a copy: a create from the template clones it (install kind
    cloud-image, mode clone), so the domain is best kept shut off as the template's master."""
    xml = libvirt_clones.source_definition(libvirt_domain(domain))
    root = etree.fromstring(xml.encode())
    volume = _boot_volume(domain.host, root)
    sizes = definition_use(domain.host, xml, disk_bytes=0)
    return {"os": _os_of(root), "vcpus": sizes.vcpus, "memory_mib": sizes.memory_mib or None,
            "install": {"kind": "cloud-image", "volume": volume, "mode": "clone"} if volume else {"kind": "network"},
            "networks": [source.get("network") for source in root.iterfind("devices/interface[@type='network']/source")
                         if source.get("network")]}


def do_template_from_domain(actor, domain, name, description="", source_address=None):
    """A new Template read from domain (read on it, manage_templates everywhere); returns it."""
    params = {"name": name, "domain": str(domain.uuid)}
    audit.require(actor, "read", domain, "template.from_domain", params, source_address)
    audit.require(actor, PERMISSION, None, "template.from_domain", params, source_address)
    fields = template_fields_of(domain)
    fields.update(name=name, description=description or f"Made from domain '{domain.name}'")
    template = Template(created_by=actor, **fields)
    _check(template)
    _save(template)
    audit.record(actor, "template.from_domain", template, {**params, **_params(template)},
                 source_address=source_address)
    return template
