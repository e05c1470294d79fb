"""Secrets kept out of what the console stores and shows: secret-named values and passwords inside URLs."""

import re

REDACTED = "[redacted]"
# Whole words of a parameter name that mark its value as a secret:
# "password", "vnc_password", "apiKey", "ssh-key" are redacted; "keys" and "keep_nvram" are not.
SECRET_WORDS = {"password", "passwd", "secret", "token", "key", "passphrase", "credential", "credentials"}
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# A password written into a URL's user part (qemu+ssh://root:pw@host/system).
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*):(?P<password>[^/@\s]*)@")


def is_secret_name(name):
    """Whether a parameter named name holds a secret (its words include password, key, token, ...)."""
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(str(name)))


def redact_url_passwords(text):
    """text with the password part of any URL in it replaced."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}:{REDACTED}@", text)


def redact(value):
    """A copy of value (dicts, lists, scalars) with the values of secret-named keys and URL passwords replaced."""
    if isinstance(value, dict):
        return {str(k): REDACTED if is_secret_name(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_url_passwords(value)
    return value
