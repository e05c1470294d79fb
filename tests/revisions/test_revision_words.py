"""How a revision came about, and who made it, are words said in the reader's language."""

from django.utils.functional import Promise

from domains.definitions.models import DefinitionRevision
from domains.revisions.models import RevisionSource


def test_revision_sources_and_authors_are_lazy_words_that_read_in_english_by_default():
    assert all(isinstance(label, Promise) for label in RevisionSource.labels)
    assert RevisionSource.EXTERNAL.label == "outside the console"
    assert isinstance(DefinitionRevision.nobody, Promise)
    assert DefinitionRevision(author_name="").who == "libvirt (outside the console)"
