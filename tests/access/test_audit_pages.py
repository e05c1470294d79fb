"""The audit pages' filters take names and dates; a bad one is an error on its field, never a silently empty list."""

import datetime
import html

from django.test import Client
from django.utils import timezone

from domains.access import audit
from domains.access.models import AuditEntry


def text(answer):
    return html.unescape(answer.content.decode())


def page_as(user, path, **query):
    client = Client()
    client.force_login(user)
    return client.get(path, query)


def test_a_bad_date_is_refused_next_to_its_field_with_what_would_work(owner):
    answer = page_as(owner, "/audit/", since="2026-13-45")
    page = text(answer)
    assert answer.status_code == 400
    assert 'id="audit-since-error" class="invalid-feedback"' in page and "is not a date and time" in page
    assert "e.g. 2026-11-25" in page and 'value="2026-13-45"' in page
    assert "Fix the marked filters" in page


def test_until_before_since_is_refused_on_until(owner):
    answer = page_as(owner, "/audit/", since="2026-11-25", until="2026-11-20")
    assert answer.status_code == 400 and 'id="audit-until-error"' in text(answer)


def test_a_day_filter_takes_the_whole_day_in(owner):
    entry = audit.record(owner, "domain.start")
    day = timezone.localtime(entry.time, datetime.timezone.utc).date().isoformat()
    assert f'data-entry="{entry.pk}"' in text(page_as(owner, "/audit/", since=day, until=day))
    next_day = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    assert f'data-entry="{entry.pk}"' not in text(page_as(owner, "/audit/", since=next_day))


def test_an_unknown_name_is_refused_on_its_field(owner):
    for field in ("actor", "domain", "host"):
        answer = page_as(owner, "/audit/", **{field: "nobody-by-that-name"})
        assert answer.status_code == 400, field
        assert f'id="audit-{field}-error"' in text(answer) and "nobody-by-that-name" in text(answer)


def test_the_filters_take_a_domains_and_a_hosts_name_and_show_readable_words(world):
    admin, target = world["people"]["admin"], world["target"]
    started = audit.record(admin, "domain.start", target)
    elsewhere = audit.record(admin, "host.update", world["host"], outcome="refused: in use")
    by_domain = text(page_as(admin, "/audit/", domain=target.name))
    assert f'data-entry="{started.pk}"' in by_domain and f'data-entry="{elsewhere.pk}"' not in by_domain
    by_host = text(page_as(admin, "/audit/", host=world["host"].name))
    assert f'data-entry="{started.pk}"' in by_host and f'data-entry="{elsewhere.pk}"' in by_host
    assert "Started a domain" in by_host and "Refused" in by_host and "in use" in by_host
    assert f'<option value="{target.name}">' in by_host  # the domain field's suggestions


def test_a_viewer_cannot_learn_of_a_domain_they_may_not_read_through_the_domain_filter(world):
    answer = page_as(world["people"]["Viewer"], "/audit/", domain="vm0001")
    assert answer.status_code == 400 and 'id="audit-domain-error"' in text(answer)


def test_the_actor_filter_takes_a_username(owner, teammate):
    audit.record(teammate, "token.create")
    page = text(page_as(owner, "/audit/", actor="bob"))
    assert "Created an API token" in page
    assert AuditEntry.objects.filter(actor_name="bob").count() == 1
