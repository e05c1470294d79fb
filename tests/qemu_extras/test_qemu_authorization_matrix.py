"""Every QEMU extras route answers every persona of the authorization matrix exactly as its model says."""

import pytest

from tests.access import test_authorization_matrix as matrix
from tests.qemu_extras.authorization_cases import qemu_cases

CASES = qemu_cases(matrix.page, matrix.api)


ALONE = matrix.alone(CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{c.need}" for c in CASES])
def test_each_qemu_route_refuses_or_shows_each_persona_exactly(world, case):
    matrix.check_together(world, case, ALONE)


@pytest.mark.parametrize("case,persona", ALONE, ids=[f"{case.id}-{case.need}-{persona}" for case, persona in ALONE])
def test_each_qemu_route_answers_each_persona_exactly(world, case, persona):
    matrix.check_alone(world, case, persona)
