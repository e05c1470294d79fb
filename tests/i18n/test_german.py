"""The pages speak the browser's language: English, or German complete (locale/de)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "locale" / "de" / "LC_MESSAGES" / "django.po"
# What makemessages must not read: libraries, data, and the tests' own words.
IGNORED = [".venv", "node_modules", "var", "tests", "benchmarks", "deploy", "docs"]
# What holds the words (and what manage.py needs to start).
SOURCES = ["manage.py", "pyproject.toml", "console", "domains", "qemu_extras", "templates", "locale"]


def statistics(po):
    """msgfmt's count line for po, e.g. '21 translated messages.' (fuzzy and untranslated ones named too)."""
    done = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stderr.strip()


@pytest.fixture(scope="module")
def german_compiled():
    call_command("compilemessages", locale=["de"], ignore_patterns=IGNORED, verbosity=0)


def test_the_german_catalogue_translates_every_word_with_nothing_fuzzy():
    said = statistics(PO)
    assert "untranslated" not in said and "fuzzy" not in said, said


def test_every_word_the_code_marks_for_translation_is_in_the_german_catalogue(tmp_path):
    # makemessages in a copy of the code: a word marked in a template or in Python but missing from locale/de
    # shows up there as untranslated, and the checkout is left alone.
    for part in SOURCES:
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy
        copy(REPO / part, tmp_path / part, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                             if (REPO / part).is_dir() else {}))
    done = subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete", "-v0",
                           *(f"--ignore={name}" for name in IGNORED)], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "VIRTCONSOLE_VAR_DIR": str(tmp_path / "var")})
    assert done.returncode == 0, done.stderr
    said = statistics(tmp_path / PO.relative_to(REPO))
    assert "untranslated" not in said and "fuzzy" not in said, (
        f"{said}: run `.venv/bin/python manage.py makemessages -l de --no-obsolete "
        f"{' '.join('--ignore=' + name for name in IGNORED)}` and translate the new entries in {PO.relative_to(REPO)}")


@pytest.mark.django_db
def test_a_browser_asking_for_german_gets_german_pages_and_others_get_english(client, admin_user, german_compiled):
    client.force_login(admin_user)
    german = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5").content.decode()
    assert 'lang="de"' in german and "Übersicht" in german and "Abmelden" in german
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert 'lang="en"' in english and "Overview" in english and "Log out" in english


@pytest.mark.django_db
def test_a_refusal_is_said_in_the_readers_language_and_kept_in_the_consoles(
        api_as, client, owner, make_test_host, german_compiled):
    from domains.access.models import AuditEntry
    from domains.lifecycle import inventory
    from domains.lifecycle.models import Domain

    host = make_test_host(domains=1)
    inventory.sync_host(host)
    domain = Domain.objects.get(host=host)
    api = api_as(owner)

    german = api.put(f"/api/v1/domains/{domain.uuid}/tags", {"tags": ["bad tag"]}, format="json",
                     HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 400
    assert german.json()["message"].startswith("Kein Schlagwort: bad tag.")
    english = api.put(f"/api/v1/domains/{domain.uuid}/tags", {"tags": ["bad tag"]}, format="json")
    assert english.json()["message"].startswith("Not a tag: bad tag.")
    # The audit log is read by every administrator: both refusals are kept in the console's own words.
    kept = list(AuditEntry.objects.filter(action="domain.tags").values_list("outcome", flat=True))
    assert len(kept) == 2 and all(outcome.startswith("refused: Not a tag: bad tag.") for outcome in kept)

    client.force_login(owner)
    page = client.post(f"/domains/{domain.uuid}/tags/", {"tags": "bad/tag"}, HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 400 and "Kein Schlagwort: bad/tag." in page.content.decode()
