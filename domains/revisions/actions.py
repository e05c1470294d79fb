"""Recording a revision and rolling back to one, the same way for every feature that keeps a history."""

from django.db import transaction
from django.db.models import Max
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The reason of a pool's or network's revision 1, kept in English and said in the reader's language where shown
# (console/templatetags/kept_words.py).
FIRST_SEEN = gettext_noop("As libvirt held it when the console first saw it.")


def do_record_revision(model, subject, *, user=None, **fields):
    """Store subject's next revision of model (a Revision subclass); call it inside the change's transaction.

    The number is the subject's highest plus one, taken while the subject's row is
    locked (SELECT … FOR UPDATE; on SQLite the IMMEDIATE write transaction is the
    lock), so two changes to one subject never take the same number, and numbers
    of different subjects never wait for each other.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("do_record_revision must run in the transaction of the change it records.")
    list(type(subject).objects.select_for_update().filter(pk=subject.pk).values_list("pk", flat=True))
    top = model.objects.of(subject).aggregate(top=Max("number"))["top"] or 0
    author_name = user.get_username() if user is not None and getattr(user, "is_authenticated", False) else ""
    return model.objects.create(**{model.subject_field: subject}, number=top + 1,
                                author=user if author_name else None, author_name=author_name, **fields)


def do_rollback(revision, subject, restore, reason="", refusal=ValueError):
    """Bring revision's content back through the feature's own action: restore(revision, reason).

    restore defines or applies the old content as any change is (checks, audit,
    a new revision whose rollback_of is revision.number) and returns its result.
    A revision of another subject is refused with refusal(message).
    """
    if revision.subject_id != subject.pk:
        raise refusal(format_lazy(_("Revision {number} belongs to another {subject}."), number=revision.number,
                                  subject=subject._meta.verbose_name))
    return restore(revision, reason or f"Rollback to revision {revision.number}.")
