"""Quotas on the install create: refused with the numbers and nothing made past a limit, group quotas, superusers
unlimited, the creator owning what she made, and GET/PATCH /api/v1/quotas."""

from domains.access.models import AuditEntry, Grant
from domains.quotas.actions import do_set_quota
from domains.quotas.limits import limits_of
from tests.install.conftest import domain_names, volumes_of
from tests.install.test_install_create_api import create
from tests.install.test_install_grants import rows

GIB = 1024 ** 3
ISO = {"kind": "iso", "volume": "images/media.iso"}


def creator(host, grant, define_role):
    pool, network = rows(host)
    grant(define_role("Definer (quota test)", ["getattr", "define_domains"]), host=host)
    grant("Pool user", pool=pool)
    grant("Network user", network=network)


def test_a_create_past_the_domain_quota_is_refused_with_the_numbers_and_nothing_made(
        lab_host, owner, teammate, grant, define_role, api_as):
    creator(lab_host, grant, define_role)
    do_set_quota(owner, {"max_domains": 1}, user=teammate)
    first = create(api_as(teammate), lab_host, name="q1", install=ISO, memory_mib=256)
    assert first.status_code == 201, first.json()
    before = (volumes_of(lab_host), domain_names(lab_host))
    answer = create(api_as(teammate), lab_host, name="q2", install=ISO, memory_mib=256,
                    disks=[{"pool": "images", "size_gib": 1}])
    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == "quota_exceeded"
    assert answer.json()["message"].startswith("This would use 2 of your 1 domains: ask an administrator to raise")
    assert (volumes_of(lab_host), domain_names(lab_host)) == before
    assert AuditEntry.objects.filter(action="domain.install", outcome__startswith="refused: This would use").exists()


def test_memory_and_disk_quotas_say_each_number(lab_host, owner, teammate, grant, define_role, api_as):
    creator(lab_host, grant, define_role)
    do_set_quota(owner, {"max_memory_mib": 512, "max_disk_bytes": GIB}, user=teammate)
    before = volumes_of(lab_host)
    answer = create(api_as(teammate), lab_host, name="big", install=ISO, memory_mib=1024,
                    disks=[{"pool": "images", "size_gib": 2}])
    assert answer.status_code == 403, answer.json()
    message = answer.json()["message"]
    assert "This would use 1024 of your 512 MiB of memory" in message
    assert "this would use 2.0 GiB of your 1.0 GiB of disk" in message
    assert volumes_of(lab_host) == before and "big" not in domain_names(lab_host)


def test_the_creator_owns_what_she_made_and_it_counts_in_her_usage(lab_host, teammate, grant, define_role, api_as):
    creator(lab_host, grant, define_role)
    answer = create(api_as(teammate), lab_host, name="mine", install=ISO, vcpus=2, memory_mib=256,
                    disks=[{"pool": "images", "size_gib": 1}])
    assert answer.status_code == 201, answer.json()
    assert Grant.objects.filter(user=teammate, domain__name="mine", role__name="Administrator").exists()
    usage = api_as(teammate).get("/api/v1/quotas").json()
    assert usage["used"] == {"domains": 1, "vcpus": 2, "memory_mib": 256, "disk_bytes": GIB}
    assert usage["limits"] == {"domains": None, "vcpus": None, "memory_mib": None, "disk_bytes": None}
    assert usage["limits_from"] == "none" and "quotas" not in usage


def test_the_most_generous_group_quota_holds_unless_the_user_has_her_own(owner, teammate, make_group):
    do_set_quota(owner, {"max_domains": 1, "max_vcpus": None}, group=make_group("small", [teammate]))
    do_set_quota(owner, {"max_domains": 3, "max_vcpus": 4}, group=make_group("large", [teammate]))
    limits, source = limits_of(teammate)
    assert source == "group" and limits["domains"] == 3 and limits["vcpus"] is None
    do_set_quota(owner, {"max_domains": 0}, user=teammate)
    assert limits_of(teammate) == ({"domains": 0, "vcpus": None, "memory_mib": None, "disk_bytes": None}, "user")


def test_a_group_quota_refuses_its_member(lab_host, owner, teammate, grant, define_role, make_group, api_as):
    creator(lab_host, grant, define_role)
    do_set_quota(owner, {"max_vcpus": 1}, group=make_group("interns", [teammate]))
    answer = create(api_as(teammate), lab_host, name="wide", install=ISO, vcpus=2, memory_mib=256)
    assert answer.status_code == 403 and "This would use 2 of your 1 vCPUs" in answer.json()["message"]


def test_a_superuser_is_never_held_by_a_quota(lab_host, owner, api_as):
    do_set_quota(owner, {"max_domains": 0}, user=owner)
    answer = create(api_as(owner), lab_host, name="boss", install=ISO, memory_mib=256)
    assert answer.status_code == 201, answer.json()


def test_only_an_administrator_sets_quotas_and_it_is_audited(owner, teammate, outsider, api_as):
    refused = api_as(outsider).patch("/api/v1/quotas", {"user": teammate.pk, "max_domains": 9}, format="json")
    assert refused.status_code == 403 and refused.json()["fields"]["permission"] == "manage_quotas"
    answer = api_as(owner).patch("/api/v1/quotas", {"user": teammate.pk, "max_domains": 2, "max_memory_mib": 2048},
                                 format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["max_domains"] == 2 and answer.json()["max_vcpus"] is None
    assert AuditEntry.objects.filter(action="quota.set", actor_name="alice", outcome="ok").exists()
    seen = api_as(owner).get(f"/api/v1/quotas?user={teammate.pk}").json()
    assert seen["username"] == "bob" and seen["limits"]["domains"] == 2 and seen["limits_from"] == "user"
    assert [quota["username"] for quota in seen["quotas"]] == ["bob"]
    assert api_as(teammate).get(f"/api/v1/quotas?user={outsider.pk}").status_code == 403
    assert api_as(teammate).get("/api/v1/quotas").json()["limits"]["memory_mib"] == 2048


def test_a_quota_names_exactly_one_holder(owner, teammate, api_as):
    answer = api_as(owner).patch("/api/v1/quotas", {"max_domains": 2}, format="json")
    assert answer.status_code == 400 and "exactly one holder" in str(answer.json())


def test_a_domain_defined_from_xml_passes_the_same_quota_and_is_owned(lab_host, owner, teammate, grant, define_role,
                                                                       api_as):
    creator(lab_host, grant, define_role)
    do_set_quota(owner, {"max_domains": 1, "max_memory_mib": 256}, user=teammate)
    xml = "<domain type='test'><name>{}</name><memory unit='MiB'>{}</memory><vcpu>1</vcpu><os><type>hvm</type></os>" \
          "</domain>"
    made = create(api_as(teammate), lab_host, xml=xml.format("raw1", 128))
    assert made.status_code == 201, made.json()
    assert Grant.objects.filter(user=teammate, domain__name="raw1", role__name="Administrator").exists()
    answer = create(api_as(teammate), lab_host, xml=xml.format("raw2", 200))
    assert answer.status_code == 403 and answer.json()["code"] == "quota_exceeded", answer.json()
    assert "This would use 2 of your 1 domains; this would use 328 of your 256 MiB of memory" in \
        answer.json()["message"]
    assert "raw2" not in domain_names(lab_host)
