"""Run by test_qemu_host_commands: one monitor command in a process killed inside the libvirt call.

argv: user id, domain id, HMP text. The process dies (SIGKILL) the moment libvirt_qemu's
monitor call starts, as a crash inside the in-process QEMU driver would take it down.
"""

import os
import signal
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from domains.lifecycle.models import Domain  # noqa: E402
from qemu_extras.monitor.actions import do_monitor_command  # noqa: E402


def die_inside_the_call(frame, event, _arg):
    if event == "call" and frame.f_code.co_name == "qemuMonitorCommand":
        os.kill(os.getpid(), signal.SIGKILL)


user = get_user_model().objects.get(pk=int(sys.argv[1]))
domain = Domain.objects.select_related("host").get(pk=int(sys.argv[2]))
sys.setprofile(die_inside_the_call)
do_monitor_command(user, domain, sys.argv[3], hmp=True)
print("the call returned: the process was not killed inside it")
