"""The lines a confirmation dialog lists under its question (data-confirm-details, read by static/js/ui/feedback.js).

The one way to write them: views call confirm_details(), templates the {% confirm_details %} tag of console_format,
which calls it. The JSON goes into the attribute autoescaped, so a translation with quotes cannot break it.
"""

import json


def confirm_details(lines):
    """The lines as a JSON list of texts (lazy translations made text), empty ones left out."""
    return json.dumps([str(line) for line in lines if line])
