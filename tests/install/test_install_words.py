"""The install, template and quota refusals are said in the reader's language: built lazily, English without a
catalogue; what is audited stays English."""

import pytest
from django.utils.functional import Promise

from domains.domain_templates.actions import TemplateError, _check
from domains.domain_templates.models import Template
from domains.install.plan import InstallError, read_plan
from domains.quotas.actions import do_set_quota
from domains.quotas.limits import QuotaExceeded, Usage, check_quota, usage_rows


def test_an_install_refusal_is_lazy_and_says_where_in_english():
    with pytest.raises(InstallError) as refused:
        read_plan({"name": "no good"})
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == ("'no good' is not a usable domain name: use letters, digits, '.', '_' or '-' (up "
                                  "to 63), starting with a letter or digit. (name)")


def test_a_template_refusal_is_lazy():
    with pytest.raises(TemplateError) as refused:
        _check(Template(name=" "))
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == "A template needs a name."


@pytest.mark.django_db
def test_a_quota_refusal_is_one_lazy_sentence_and_the_usage_rows_are_labelled_lazily(owner, teammate):
    do_set_quota(owner, {"max_domains": 0, "max_vcpus": 1}, user=teammate)
    with pytest.raises(QuotaExceeded) as refused:
        check_quota(teammate, Usage(domains=1, vcpus=2))
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == ("This would use 1 of your 0 domains; this would use 2 of your 1 vCPUs: ask an "
                                  "administrator to raise your quota, or remove a domain you own.")
    assert all(isinstance(row["what"], Promise) for row in usage_rows(teammate))
