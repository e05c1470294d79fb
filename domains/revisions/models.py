"""Revision: the abstract model every history of changes shares (definitions, daemon settings).

A concrete revision names its subject (`subject_field`, a ForeignKey to the
thing that changes) and says what its content is as text (`content_text`):
numbering per subject, the content hash, who, when and why, rollback links and
the diff between two revisions then work the same for every feature.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from domains.revisions.diff import diff_lines, unified_diff


def digest_of(text):
    """The SHA-256 of text, as stored in a revision: finds an unchanged content cheaply."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RevisionSource(models.TextChoices):
    """How a revision came about; every history uses these words."""

    CONSOLE = "console", pgettext_lazy("revision source", "console")
    API = "api", pgettext_lazy("revision source", "API")
    EXTERNAL = "external", pgettext_lazy("revision source", "outside the console")
    ROLLBACK = "rollback", pgettext_lazy("revision source", "rollback")
    CREATE = "create", pgettext_lazy("revision source", "created")
    IMPORT = "import", pgettext_lazy("revision source", "imported")


class RevisionQuerySet(models.QuerySet):
    def of(self, subject):
        return self.filter(**{self.model.subject_field: subject})

    def newest_first(self):
        return self.order_by("-number")

    def latest_one(self):
        """The revision with the highest number, or None."""
        return self.order_by("-number").first()

    def numbered(self, number):
        """The revision with this number, or None."""
        return self.filter(number=number).first()


class Revision(models.Model):
    """One stored change: its number (1, 2, 3, … per subject), author, time and what it rolled back to."""

    subject_field = None  # the ForeignKey naming what this is a revision of
    nobody = _("the console")  # who made a revision that has no author

    number = models.PositiveIntegerField(help_text="1, 2, 3, … per subject.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    created = models.DateTimeField(default=timezone.now)
    rollback_of = models.PositiveIntegerField(null=True, blank=True, help_text="The revision number restored.")

    objects = RevisionQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"revision {self.number} of {self.subject}"

    @property
    def subject(self):
        return getattr(self, self.subject_field)

    @property
    def subject_id(self):
        return getattr(self, f"{self.subject_field}_id")

    def content_text(self):
        """The revision's content as text: what its hash covers and its diff compares."""
        raise NotImplementedError

    @property
    def content_sha256(self):
        return digest_of(self.content_text())

    def has_content(self, text):
        return self.content_sha256 == digest_of(text)

    @property
    def who(self):
        return self.author_name or self.nobody

    def diff_lines(self, newer):
        """Lines of the unified diff from this revision to newer (a revision of the same subject)."""
        return diff_lines(self.content_text(), newer.content_text(), *self._labels(newer))

    def unified_diff(self, newer):
        return unified_diff(self.content_text(), newer.content_text(), *self._labels(newer))

    def _labels(self, newer):
        return f"revision {self.number}", f"revision {newer.number}"
