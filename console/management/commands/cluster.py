"""Serve the production shape on one machine: N Daphne processes behind Debian's nginx, in the foreground."""

import json
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from console.local_cluster import (ClusterProcess, answers, find_nginx, refuse_single_process_setup, refuse_taken_ports,
                                   tail, write_nginx_config)
from domains.hosts.models import Host

START_SECONDS = 90


class _Stop(Exception):
    """SIGINT or SIGTERM reached the command: every process stops."""


def _raise_stop(signum, _frame):
    raise _Stop(signal.Signals(signum).name)


class Command(BaseCommand):
    help = ("Run N Daphne processes on 127.0.0.1:PORT+1..PORT+N and nginx in front of them on 127.0.0.1:PORT, "
            "until SIGINT or SIGTERM. Needs PostgreSQL (DATABASE_URL) and Redis (CHANNEL_LAYER_URL).")

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=3, help="Daphne processes (default 3)")
        parser.add_argument("--port", type=int, default=8000, help="nginx's port; the processes take the next N")

    def handle(self, *args, processes, port, **options):
        if not 1 <= processes <= 64:
            raise CommandError(f"--processes {processes}: give between 1 and 64.")
        if not 1024 <= port <= 65535 - processes:
            raise CommandError(f"--port {port}: give a port from 1024 to {65535 - processes} (nginx's, the "
                               "processes take the next ones).")
        refuse_single_process_setup()
        if Host.objects.filter(embedded=True, enabled=True).exists():
            raise CommandError("The database has an enabled embedded host (qemu:///embed): it belongs to one "
                               "process, and each of the cluster's processes would open it. Disable or remove it "
                               "on the Hosts page, or use a database bootstrapped with --no-embedded-host.")
        nginx = find_nginx()
        refuse_taken_ports(range(port, port + processes + 1))

        directory = settings.VAR_DIR / "cluster"
        directory.mkdir(parents=True, exist_ok=True)
        state_path = directory / "state.json"
        state_path.unlink(missing_ok=True)  # a stale one would send tests to processes long gone
        previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        children = []
        try:
            children = self._start(nginx, directory, port, processes)
            url = f"http://127.0.0.1:{port}"
            self._write_state(state_path, url, children)
            self.stdout.write(f"virtconsole is serving on {url} ({processes} Daphne processes behind nginx; "
                              f"logs and state in {directory}; Ctrl-C stops them)")
            self.stdout.flush()
            self._supervise(children)
        except _Stop:
            self.stdout.write("Stopping the cluster.")
        finally:
            # A second Ctrl-C must not cut the stop short: the processes would outlive the command.
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)
            _stop(children)
            state_path.unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, nginx, directory, port, processes):
        """Start the Daphne processes and nginx; return them once each answers."""
        children = []
        # The children's output goes to their logs as it comes, not when a buffer fills.
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            for daphne_port in range(port + 1, port + processes + 1):
                log_path = _fresh_log(directory / f"daphne-{daphne_port}.log")
                with open(log_path, "ab") as log:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p",
                         str(daphne_port), "console.asgi:application"],
                        cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    )
                children.append(ClusterProcess(f"Daphne on port {daphne_port}", daphne_port, process, log_path))
            config = write_nginx_config(directory, port, [child.port for child in children])
            error_log = _fresh_log(directory / "nginx-error.log")
            with open(error_log, "ab") as log:
                # -e: nginx opens its built-in error log before it reads the configuration otherwise.
                process = subprocess.Popen([nginx, "-c", str(config), "-p", str(directory), "-e", str(error_log)],
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            children.append(ClusterProcess(f"nginx on port {port}", port, process, error_log, proxy=True))
            for child in children:
                self._wait_until_it_answers(child)
        except BaseException:
            _stop(children)
            raise
        return children

    def _wait_until_it_answers(self, child):
        deadline = time.monotonic() + START_SECONDS
        while not answers(child.port):
            if child.process.poll() is not None:
                raise CommandError(f"{child.name} ended (exit status {child.process.returncode}) before it answered; "
                                   f"the end of {child.log}:\n{tail(child.log)}")
            if time.monotonic() > deadline:
                raise CommandError(f"{child.name} did not answer within {START_SECONDS} s; the end of {child.log}:\n"
                                   f"{tail(child.log)}")
            time.sleep(0.2)
        self.stdout.write(f"{child.name} answers (pid {child.process.pid}, log {child.log}).")

    def _write_state(self, path, url, children):
        proxy = next(child for child in children if child.proxy)
        state = {"url": url, "proxy": {"pid": proxy.process.pid, "port": proxy.port},
                 "processes": [{"pid": child.process.pid, "port": child.port, "log": str(child.log)}
                               for child in children if not child.proxy]}
        # Written whole, then renamed: a reader never sees half of it.
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(state, indent=2))
        partial.replace(path)

    def _supervise(self, children):
        """Report each process that ends, until none is left or a signal stops the command.

        Not restarted: tests and benchmarks kill one on purpose to see the others carry on.
        """
        alive = list(children)
        while alive:
            try:
                # Blocks until a child ends (WNOWAIT: Popen reaps it below and keeps its exit status).
                ended_pid = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT).si_pid
            except ChildProcessError:
                break
            ended = [child for child in alive if child.process.poll() is not None]
            if not ended:
                os.waitpid(ended_pid, 0)  # not one of ours: reap it, or waitid would return it again
            for child in ended:
                alive.remove(child)
                self.stderr.write(f"{child.name} (pid {child.process.pid}) ended ({_how(child.process.returncode)}); "
                                  f"not restarted. The end of {child.log}:\n{tail(child.log)}")
        raise CommandError("Every process of the cluster has ended.")


def _fresh_log(path):
    """Empty path for this run (its end is what a failure shows); opened to append: nginx writes to it too."""
    path.write_bytes(b"")
    return path


def _how(returncode):
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def _stop(children):
    """SIGTERM to every process still running; SIGKILL to those still there after their grace."""
    running = [child for child in children if child.process.poll() is None]
    for child in running:
        child.process.terminate()  # nginx: fast shutdown; Daphne: requests in flight get STOP_GRACE seconds
    deadline = time.monotonic() + settings.STOP_GRACE + 5
    for child in running:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
