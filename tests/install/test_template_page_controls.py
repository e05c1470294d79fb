"""The templates page offers each user only the forms the server would take from her."""

from domains.domain_templates.models import Template


def test_a_user_without_define_domains_anywhere_sees_the_templates_without_the_create_form(lab_host, outsider,
                                                                                           client):
    template = Template.objects.create(name="tiny", memory_mib=256, install={"kind": "network"})
    client.force_login(outsider)

    page = client.get("/templates/").content.decode()

    assert "tiny" in page
    assert f'action="/templates/{template.pk}/create/"' not in page
    assert f'action="/templates/{template.pk}/delete/"' not in page and 'action="/templates/add/"' not in page


def test_an_administrator_is_asked_before_a_template_is_deleted(lab_host, owner, client):
    template = Template.objects.create(name="tiny", memory_mib=256, install={"kind": "network"})
    client.force_login(owner)

    page = client.get("/templates/").content.decode()

    assert f'action="/templates/{template.pk}/delete/"' in page
    assert 'data-confirm="Delete the template tiny?"' in page and "The domains made from it stay" in page
