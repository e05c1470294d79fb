"""The volume section of a pool: listed with sizes and users, and its forms (create, resize, wipe, clone, delete)."""

import pytest
from django.test import Client

from domains.access.grants import do_grant
from domains.access.models import Role
from domains.jobs.models import SUCCEEDED, Job
from tests.storage.volume_support import api_as, volume_names
from tests.libvirt_support import MiB, wait_for_job

pytestmark = [pytest.mark.system]


def page_url(pool, tail=""):
    return f"/hosts/{pool.host_id}/pools/{pool.name}/volumes/{tail}"


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def refused_form(answer, form_class):
    """The markup of the form of form_class that the page of a refused post shows again."""
    text = answer.content.decode()
    start = text.index(form_class)
    return text[start:text.index("</form>", start)]


def messages_of(answer):
    return [str(m) for m in answer.context["messages"]] if answer.context else []


def test_the_page_lists_volumes_with_their_sizes_and_the_domains_using_them(owner, dir_pool, defined_domains):
    pool = dir_pool()
    path = api_as(owner).post(f"/api/v1/hosts/{pool.host_id}/pools/{pool.name}/volumes",
                              {"name": "root.img", "capacity": 64 * MiB}, format="json").json()["path"]
    user = defined_domains("page", f"<disk type='file' device='disk'><source file='{path}'/>"
                                   "<target dev='vda' bus='virtio'/></disk>")
    text = signed_in(owner).get(page_url(pool)).content.decode()
    assert "root.img" in text and "64\xa0MiB" in text and user in text


def test_the_forms_create_resize_only_with_shrink_confirmed_and_delete_only_when_confirmed(owner, dir_pool):
    pool = dir_pool()
    client = signed_in(owner)
    made = client.post(page_url(pool, "new/"), {"name": "form.img", "capacity": "32", "format": "raw"}, follow=True)
    assert any("created" in m for m in messages_of(made)) and volume_names(pool) == ["form.img"]

    refused = client.post(page_url(pool, "form.img/resize/"), {"capacity": "16"})
    assert refused.status_code == 400  # the page again, the typed size kept and the shrink box pointed at
    form = refused_form(refused, "volume-resize")
    assert 'value="16"' in form and 'is-invalid" type="checkbox" name="shrink"' in form and "autofocus" in form
    assert "cuts off the data" in form  # the refusal's own words, at the box
    shrunk = client.post(page_url(pool, "form.img/resize/"), {"capacity": "16", "shrink": "on"}, follow=True)
    assert any("resized" in m for m in messages_of(shrunk))

    kept = client.post(page_url(pool, "form.img/delete/"), {}, follow=True)
    assert any("not deleted" in m for m in messages_of(kept)) and volume_names(pool) == ["form.img"]
    client.post(page_url(pool, "form.img/delete/"), {"confirm": "on"})
    assert volume_names(pool) == []


def test_a_refused_create_or_clone_comes_back_filled_in_with_the_named_field_marked_and_focused(owner, dir_pool):
    pool = dir_pool()
    client = signed_in(owner)
    client.post(page_url(pool, "new/"), {"name": "taken.img", "capacity": "4", "format": "raw"})

    again = client.post(page_url(pool, "new/"), {"name": "taken.img", "capacity": "12", "allocation": "2",
                                                 "format": "raw"})
    assert again.status_code == 400
    form = refused_form(again, "volume-create")
    assert 'value="taken.img"' in form and 'value="12"' in form and 'value="2"' in form
    name_field = form[form.index('id="new-volume-name"') - 60:form.index('id="new-volume-name-error"')]
    assert "is-invalid" in name_field and "autofocus" in name_field and "already has a volume" in form
    assert form.count("is-invalid") == 1

    unsized = client.post(page_url(pool, "new/"), {"name": "new.img", "capacity": "lots", "format": "raw"})
    form = refused_form(unsized, "volume-create")
    assert unsized.status_code == 400 and 'value="new.img"' in form and 'value="lots"' in form
    assert 'id="new-volume-capacity-error"' in form and form.count("autofocus") == 1

    clone = client.post(page_url(pool, "taken.img/clone/"), {"name": "../x.img", "pool": ""})
    assert clone.status_code == 400
    form = refused_form(clone, "volume-clone")
    assert 'value="../x.img"' in form and "is-invalid" in form and "autofocus" in form
    assert 'class="collapse show volume-actions"' in clone.content.decode()  # the volume's actions open
    assert volume_names(pool) == ["taken.img"] and not Job.objects.exists()


def test_wipe_and_clone_from_the_page_start_jobs(owner, dir_pool):
    pool = dir_pool()
    client = signed_in(owner)
    client.post(page_url(pool, "new/"), {"name": "src.img", "capacity": "4", "allocation": "4", "format": "raw"})
    client.post(page_url(pool, "src.img/wipe/"), {"algorithm": "zero"})
    client.post(page_url(pool, "src.img/clone/"), {"name": "dst.img"})
    for job in Job.objects.order_by("id"):
        assert wait_for_job(job.pk).state == SUCCEEDED
    assert sorted(Job.objects.values_list("kind", flat=True)) == ["volume.clone", "volume.wipe"]
    assert volume_names(pool) == ["dst.img", "src.img"]


def test_a_pool_viewer_sees_the_list_without_the_forms(owner, teammate, dir_pool):
    pool = dir_pool()
    signed_in(owner).post(page_url(pool, "new/"), {"name": "seen.img", "capacity": "4", "format": "raw"})
    do_grant(owner, Role.objects.get(name="Pool viewer"), to_user=teammate, pool=pool)
    text = signed_in(teammate).get(page_url(pool)).content.decode()
    assert "seen.img" in text
    assert "New volume" not in text and "Delete" not in text and "Resize" not in text
    assert signed_in(teammate).post(page_url(pool, "seen.img/delete/"), {"confirm": "on"}).status_code == 403
