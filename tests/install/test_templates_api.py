"""Domain templates: administrators make, change and delete them; anyone who may create uses one in one request, the
request's fields overriding the template's; a domain turned into a template."""

from domains.access.models import AuditEntry
from domains.domain_templates.models import Template
from tests.install.conftest import domain_names
from tests.install.test_install_create_api import create, definition_of
from tests.install.test_install_quotas import creator

SMALL_WEB = {"name": "small web", "description": "A web server", "os": "debian11", "vcpus": 2, "memory_mib": 768,
             "disk_size_gib": 1, "disk_pool": "images", "install": {"kind": "iso", "volume": "images/media.iso"},
             "networks": ["lan"], "cloud_init": None}


def make_template(client, **fields):
    return client.post("/api/v1/templates", {**SMALL_WEB, **fields}, format="json")


def test_an_administrator_makes_a_template_and_anyone_signed_in_lists_it(owner, outsider, api_as):
    answer = make_template(api_as(owner))
    assert answer.status_code == 201, answer.json()
    assert answer.json()["install"] == {"kind": "iso", "volume": "images/media.iso"}
    listed = api_as(outsider).get("/api/v1/templates").json()["results"]
    assert [template["name"] for template in listed] == ["small web"]
    assert AuditEntry.objects.filter(action="template.create", actor_name="alice", outcome="ok").exists()


def test_it_refuses_templates_to_all_but_administrators(owner, teammate, api_as):
    refused = make_template(api_as(teammate))
    assert refused.status_code == 403 and refused.json()["fields"]["permission"] == "manage_templates"
    made = make_template(api_as(owner)).json()
    assert api_as(teammate).patch(f"/api/v1/templates/{made['id']}", {"vcpus": 8}, format="json").status_code == 403
    assert api_as(teammate).delete(f"/api/v1/templates/{made['id']}").status_code == 403
    assert Template.objects.get().vcpus == 2


def test_a_template_the_install_would_refuse_is_refused_at_once(owner, api_as):
    answer = make_template(api_as(owner), os="no-such-os")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_template", answer.json()
    assert "osinfo knows no operating system 'no-such-os'" in answer.json()["message"]
    taken = make_template(api_as(owner)), make_template(api_as(owner))
    assert taken[1].status_code == 409 and taken[1].json()["code"] == "name_taken"


def test_an_administrator_changes_and_deletes_a_template(owner, api_as):
    made = make_template(api_as(owner)).json()
    changed = api_as(owner).patch(f"/api/v1/templates/{made['id']}", {"memory_mib": 1024}, format="json")
    assert changed.status_code == 200 and changed.json()["memory_mib"] == 1024 and changed.json()["vcpus"] == 2
    assert api_as(owner).delete(f"/api/v1/templates/{made['id']}").status_code == 204
    assert api_as(owner).get(f"/api/v1/templates/{made['id']}").status_code == 404


def test_a_user_who_may_create_makes_a_domain_from_a_template_in_one_request(lab_host, owner, teammate, grant,
                                                                            define_role, api_as):
    creator(lab_host, grant, define_role)
    template = make_template(api_as(owner)).json()
    answer = create(api_as(teammate), lab_host, name="from-template", template=template["id"])
    assert answer.status_code == 201, answer.json()
    assert answer.json()["install"]["volumes"] == ["images/from-template-disk0.qcow2"]
    root = definition_of(lab_host, "from-template")
    assert root.findtext("vcpu") == "2" and root.find("memory").text == str(768 * 1024)
    assert root.find("devices/interface/source").get("network") == "lan"
    assert root.find("devices/disk[@device='cdrom']/source").get("volume") == "media.iso"


def test_the_requests_fields_override_the_templates(lab_host, owner, api_as):
    template = make_template(api_as(owner)).json()
    answer = create(api_as(owner), lab_host, name="bigger", template=template["id"], vcpus=3,
                    disks=[{"pool": "images", "size_gib": 2, "format": "raw"}], install={"kind": "network"})
    assert answer.status_code == 201, answer.json()
    root = definition_of(lab_host, "bigger")
    assert root.findtext("vcpu") == "3" and root.find("memory").text == str(768 * 1024)
    assert root.find("devices/disk[@device='cdrom']") is None
    assert answer.json()["install"]["volumes"] == ["images/bigger-disk0.img"]


def test_a_missing_template_is_refused_and_nothing_made(lab_host, owner, api_as):
    answer = create(api_as(owner), lab_host, name="ghost", template=999999)
    assert answer.status_code == 404 and "GET /api/v1/templates" in answer.json()["message"]
    assert "ghost" not in domain_names(lab_host)


def test_a_domain_turned_into_a_template_gives_its_sizes_networks_and_disk(lab_host, owner, teammate, api_as):
    made = create(api_as(owner), lab_host, name="master", install={"kind": "import", "volume": "images/disk.qcow2"},
                  vcpus=2, memory_mib=640, interfaces=[{"network": "lan"}])
    assert made.status_code == 201, made.json()
    url = f"/api/v1/domains/{made.json()['install']['uuid']}/template"
    assert api_as(teammate).post(url, {"name": "nope"}, format="json").status_code == 404
    answer = api_as(owner).post(url, {"name": "from master"}, format="json")
    assert answer.status_code == 201, answer.json()
    template = answer.json()
    assert (template["vcpus"], template["memory_mib"], template["networks"]) == (2, 640, ["lan"])
    assert template["install"] == {"kind": "cloud-image", "volume": "images/disk.qcow2", "mode": "clone"}
    assert template["description"] == "Made from domain 'master'"


def test_the_templates_page_creates_a_domain_from_a_template_and_shows_the_quota(lab_host, owner, teammate, grant,
                                                                                define_role, client):
    creator(lab_host, grant, define_role)
    template = Template.objects.create(name="tiny", memory_mib=256, install={"kind": "network"}, networks=["lan"])
    client.force_login(teammate)
    page = client.get("/templates/")
    assert page.status_code == 200 and b"tiny" in page.content and b"Your quota" in page.content
    assert b"New template" not in page.content  # administrators only
    answer = client.post(f"/templates/{template.pk}/create/", {"host": lab_host.pk, "name": "clicked"})
    assert answer.status_code == 302, answer.content
    assert "clicked" in domain_names(lab_host)
    assert b"Your quota" in client.get("/install/").content


def test_an_administrator_makes_and_deletes_a_template_on_the_page(owner, client):
    client.force_login(owner)
    client.post("/templates/add/", {"name": "page-made", "kind": "network", "memory_mib": "512", "networks": "lan"})
    template = Template.objects.get(name="page-made")
    assert template.networks == ["lan"] and template.memory_mib == 512
    client.post(f"/templates/{template.pk}/delete/")
    assert not Template.objects.filter(name="page-made").exists()
