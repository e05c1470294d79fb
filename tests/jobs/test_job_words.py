"""The jobs' refusals are said in the reader's language: built lazily, English without a catalogue."""

from django.utils.functional import Promise

from domains.jobs.models import Job
from domains.jobs.visibility import CancelRefused


def test_a_cancel_refusal_is_lazy_and_reads_as_a_string():
    refusal = CancelRefused(Job(pk=7, kind="volume.wipe", state="running"))
    assert isinstance(refusal.args[0], Promise)
    assert str(refusal) == ("Only the user who started job 7, an administrator, or someone with a grant on its host "
                            "beyond viewing may cancel it. Ask one of them.")
