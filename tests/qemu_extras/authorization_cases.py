"""The QEMU extras' routes as cases of the authorization matrix (tests/access/test_authorization_matrix.py).

qemu_cases(page, api) builds them with the matrix's own constructors, so the matrix can take
them in with `CASES += qemu_cases(page, api)`; test_qemu_authorization_matrix runs them meanwhile.
On the matrix's test:/// host the domain is shut off, so monitor and agent answer 409 not_running
once the permission check has passed.
"""

from domains.access.permission_names import AUTHENTICATED

D = "/api/qemu/v1/domains/{d}"
P = "/qemu/domains/{d}"


def qemu_cases(page, api):
    return [
        api("qemu-api-version", "GET", "/api/qemu/v1/version", AUTHENTICATED),
        api("qemu-api-monitor", "POST", D + "/monitor", "monitor_read", ok=409, running=False,
            body={"command": '{"execute": "query-status"}'}),
        api("qemu-api-monitor", "POST", D + "/monitor", "monitor_write", ok=409, running=False,
            body={"command": "stop", "hmp": True}),
        api("qemu-api-monitor", "POST", D + "/monitor", "monitor_admin", ok=409, running=False,
            body={"command": '{"execute": "quit"}'}),
        # Host-level: a grant on the domain never gives it, even in the Administrator role.
        api("qemu-api-monitor", "POST", D + "/monitor", "monitor_host", ok=409, running=False,
            body={"command": '{"execute": "migrate", "arguments": {"uri": "exec:cat > /dev/null"}}'}),
        api("qemu-api-agent", "POST", D + "/agent", "agent", ok=409, running=False,
            body={"command": '{"execute": "guest-ping"}'}),
        api("qemu-api-taints", "GET", D + "/taints", "read"),
        api("qemu-api-extras", "GET", D + "/extras", "read"),
        api("qemu-api-rewrites", "POST", D + "/rewrites", "write", ok=400, body={"index": 0}),
        api("qemu-api-commandline", "GET", D + "/commandline", "read"),
        api("qemu-api-commandline", "POST", D + "/commandline", "write",
            body={"args": ["-msg", "timestamp=on"], "dry_run": True}),
        # No arguments: past every permission check, nothing to define. Defining arguments needs
        # host_resources as well (the definition policy): tests/access/test_authorization_matrix.py.
        api("qemu-api-commandline", "POST", D + "/commandline", "monitor_admin", body={"args": []}),
        page("qemu-monitor", "GET", P + "/monitor/", "monitor_read"),
        page("qemu-commandline", "GET", P + "/commandline/", "write"),
        page("qemu-rewrite", "GET", P + "/rewrites/0/", "write", ok=302),
    ]
