"""Tags of domains: reading them for lists, and setting a domain's tags (checked and audited)."""

import re

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from domains.access import audit
from domains.errors import ConsoleError
from domains.tags.models import DomainTag

# Lower case, so "Web" and "web" are one tag; no spaces or commas, which separate tags where they are typed.
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
MAX_TAGS = 20  # a domain's; more would not be a way to find it any more
SEPARATORS = re.compile(r"[\s,]+")


class TagError(ConsoleError):
    code = "invalid"
    status = 400


def parse_tags(text):
    """The tags typed in one field, separated by commas or spaces."""
    return [each for each in SEPARATORS.split(text or "") if each]


def clean_tags(values):
    """values (a list of strings) as a domain's tags: lower case, each once, sorted; TagError naming what is wrong."""
    if not isinstance(values, list) or not all(isinstance(each, str) for each in values):
        raise TagError(_('Give the tags as a list of words, e.g. ["web", "staging"].'), fields={"tags": [
            _("A list of words.")]})
    tags = sorted({each.strip().lower() for each in values if each.strip()})
    bad = [each for each in tags if not TAG_PATTERN.fullmatch(each)]
    if bad:
        message = format_lazy(
            _("Not a tag: {tags}. A tag is 1 to 40 letters a-z, digits, '.', '_' or '-', starting with a letter or "
              "digit; separate tags with commas or spaces."), tags=", ".join(bad))
        raise TagError(message, fields={"tags": [message]})
    if len(tags) > MAX_TAGS:
        message = format_lazy(ngettext_lazy(
            "{count} tag given, at most {most} are kept per domain: leave some out.",
            "{count} tags given, at most {most} are kept per domain: leave some out.", len(tags)),
            count=len(tags), most=MAX_TAGS)
        raise TagError(message, fields={"tags": [message]})
    return tags


def tags_by_domain(domains):
    """{Domain row id: [tag, ...]} for domains (row ids, or a queryset of rows), in one query; rows without tags
    are left out."""
    answer = {}
    for domain_id, name in DomainTag.objects.filter(domain__in=domains).values_list("domain_id", "name"):
        answer.setdefault(domain_id, []).append(name)
    for names in answer.values():
        names.sort()
    return answer


def do_set_tags(user, domain, values, source_address=None):
    """Make values (a list of words) domain's tags; the tags now. Needs write on the domain, as libvirt's own
    metadata does. Audited with the tags before and after, in the change's transaction: both or neither stay."""
    params = {"tags": values}
    audit.require(user, "write", domain, "domain.tags", params, source_address)
    try:
        tags = clean_tags(values)
    except TagError as exc:
        audit.record(user, "domain.tags", domain, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    with transaction.atomic():
        before = list(DomainTag.objects.select_for_update().filter(domain=domain).values_list("name", flat=True))
        DomainTag.objects.filter(domain=domain).exclude(name__in=tags).delete()
        DomainTag.objects.bulk_create([DomainTag(domain=domain, name=name) for name in tags if name not in before])
        audit.record(user, "domain.tags", domain, {"tags": tags, "before": sorted(before)},
                     source_address=source_address)
    return tags

