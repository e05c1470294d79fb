"""Words said and words kept: a message is said in the language of whoever reads it now, and kept (audit
entries, job rows) in the console's own language, whatever the language of the request that wrote it.

A message that carries values is built lazily, so it can be said in either:
    ConsoleError(format_lazy(_("Pool {name} is not running: start it first."), name=name))
and str() of it gives the words in the active language. kept() gives them in the console's.
"""

from django.conf import settings
from django.utils import translation


def kept(text):
    """text (a string, lazy or not) in the console's own language (LANGUAGE_CODE): for what is stored."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
