"""Memory in binary units on the definition pages: MiB or GiB typed in, whole MiB handed to the forms."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from domains.definitions.xml import DefinitionError

UNITS = {"MiB": 1, "GiB": 1024}


def shown_in_unit(mib):
    """(number, unit) to prefill a memory field with: whole GiB when it divides, MiB otherwise."""
    mib = int(mib or 0)
    if mib >= 1024 and mib % 1024 == 0:
        return mib // 1024, "GiB"
    return mib, "MiB"


def mib_of(value, unit, what):
    """The whole MiB that value in unit makes; DefinitionError naming what for anything else."""
    try:
        amount = Decimal((value or "").strip()) * UNITS[unit or "MiB"]
    except (InvalidOperation, KeyError):
        raise DefinitionError(_("%(what)s must be a number of MiB or GiB, not %(value)r.")
                              % {"what": what, "value": value}) from None
    if amount <= 0 or amount != amount.to_integral_value():
        raise DefinitionError(_("%(what)s must come to a whole number of MiB, more than 0 (%(value)s %(unit)s does not).")
                              % {"what": what, "value": value, "unit": unit or "MiB"})
    return str(int(amount))


def with_memory_in_mib(post, fields):
    """A copy of post where each (field, unit field, mib field, what) of fields typed in a unit is given in MiB.

    Posts that already carry the MiB field (the API's callers, older forms) pass unchanged.
    """
    converted = post.copy()
    for field, unit_field, mib_field, what in fields:
        if field in post and mib_field not in post:
            converted[mib_field] = mib_of(post.get(field), post.get(unit_field), what)
    return converted
