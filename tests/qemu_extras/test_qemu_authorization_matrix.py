"""Every QEMU extras route answers every persona of the authorization matrix exactly as its model says."""

import pytest

from tests.access import test_authorization_matrix as matrix
from tests.qemu_extras.authorization_cases import qemu_cases

CASES = qemu_cases(matrix.page, matrix.api)


@pytest.mark.parametrize("persona", matrix.PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{c.need}" for c in CASES])
def test_each_qemu_route_answers_each_persona_exactly(client, world, case, persona):
    matrix.test_each_route_answers_each_persona_exactly(client, world, case, persona)
