"""The API's own words are said in the reader's language, and its answers carry them as plain strings."""

from django.utils.translation import gettext_lazy

from domains.api.errors import error_response


def test_a_lazy_message_is_answered_as_a_string():
    answer = error_response(404, "not_found", gettext_lazy("No such object, or you may not see it."))
    assert type(answer.data["message"]) is str
    assert answer.data["message"] == "No such object, or you may not see it."
