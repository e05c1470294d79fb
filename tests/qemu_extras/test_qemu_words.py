"""The extras' refusals and explanations are said in the reader's language and kept in the console's: lazy words."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from domains.words import kept
from qemu_extras.monitor.policy import MonitorCommandError, classify
from qemu_extras.namespace.commandline_checks import check_commandline
from qemu_extras.taints.explanations import explain


def test_a_command_that_is_no_json_is_refused_lazily_and_kept_in_english():
    with pytest.raises(MonitorCommandError) as refused:
        classify("{bad", hmp=False)
    assert isinstance(refused.value.args[0], Promise)
    with translation.override("de"):
        assert kept(refused.value.args[0]).startswith("The QMP command is not valid JSON (")
        assert isinstance(str(refused.value), str)


def test_a_command_line_problem_and_a_taint_are_explained_lazily():
    problem, = check_commandline(["-serial", "stdio"])
    assert isinstance(problem.message, Promise) and isinstance(problem.alternative, Promise)
    assert kept(problem.message).endswith("so a serial port on stdio would never reach you.")
    assert isinstance(explain("tainted: custom monitor control commands issued").explanation, Promise)
