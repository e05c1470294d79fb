"""Monitor and agent command text as the audit log may keep it: passwords and secret data replaced."""

import json
import re

from domains.access.redaction import REDACTED, is_secret_name, redact

# QMP object types whose "data" member is the secret itself.
SECRET_OBJECT_TYPES = {"secret", "secret_keyring"}
# HMP commands whose positional words carry a password: name -> (words before it, required word at 1 or None).
HMP_POSITIONAL_SECRETS = {
    "set_password": (2, None),  # set_password vnc <password> [...]
    "change": (3, "password"),  # change vnc password <password>
}
_QUOTED_SECRET = re.compile(
    r'("[^"]*(?:password|passwd|secret|token|key|passphrase|credential|data)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE)
_OPTION = re.compile(r"(?P<key>[A-Za-z0-9_.-]+)=(?P<value>[^,\s]*)")


def redact_qmp(text):
    """QMP JSON text with secret-named members (and a secret object's data) replaced; malformed text too."""
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return _QUOTED_SECRET.sub(lambda m: f'{m.group(1)}"{REDACTED}"', str(text))
    if not isinstance(message, dict):
        return text
    arguments = message.get("arguments")
    if isinstance(arguments, dict):
        cleaned = redact(arguments)
        if str(arguments.get("qom-type", "")) in SECRET_OBJECT_TYPES and "data" in cleaned:
            cleaned["data"] = REDACTED
        if isinstance(arguments.get("command-line"), str):
            cleaned["command-line"] = redact_hmp(arguments["command-line"])
        message = {**message, "arguments": cleaned}
    return json.dumps(message, separators=(", ", ": "))


def _redact_options(word):
    secret_object = word.split(",", 1)[0] in SECRET_OBJECT_TYPES

    def replace(match):
        key = match.group("key")
        if is_secret_name(key) or (secret_object and key == "data"):
            return f"{key}={REDACTED}"
        return match.group(0)

    return _OPTION.sub(replace, word)


def redact_hmp(text):
    """HMP text with password words and secret key=value options replaced."""
    words = str(text).split()
    if not words:
        return text
    rule = HMP_POSITIONAL_SECRETS.get(words[0])
    if rule is not None:
        position, keyword = rule
        if len(words) > position and (keyword is None or (len(words) > 2 and words[2] == keyword)):
            words[position] = REDACTED
    return " ".join(_redact_options(word) for word in words)


def redacted_command(text, hmp):
    """The text of one monitor or agent command (QMP JSON unless hmp) fit for the audit log."""
    return redact_hmp(text) if hmp else redact_qmp(text)
