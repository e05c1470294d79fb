"""ast.parse one thread at a time, so that a failing test is always reported.

CPython 3.11 keeps the AST builder's recursion depth in state that every thread shares (CPython gh-106905,
pytest #10763). pytest parses the failing test's source to print it, and Python's own traceback
module parses a line to place its carets; when a worker thread logs an exception at that moment (an event
writer refused by a closed database, say), the parse fails with "SystemError: AST constructor recursion depth
mismatch", pytest stops with INTERNALERROR, and the failure it was reporting is never named (seen in a full run).
Both go through ast.parse, so one lock around it is enough.
"""

import ast
import threading

_parse_lock = threading.Lock()


def pytest_configure(config):
    parse = ast.parse

    def serialized_parse(*args, **kwargs):
        with _parse_lock:
            return parse(*args, **kwargs)

    ast.parse = serialized_parse
