"""Foundation milestone: the gateway comes up on a TAP port, answers ping,
serves the admin API and the diagnostics services, holds up under sequential,
concurrent and bulk load, returns every buffer afterwards, rejects bad config
and stops cleanly on SIGTERM.

Each case gets a fresh gateway with steps.BASE_CONFIG (gateway 10.99.0.2,
admin port 9901, echo 7, discard 9) unless it says otherwise.
"""

from steps import (BASE_CONFIG, Case, client, deep_merge, gateway_rejects, http, http_reuse,
                   json_path_re, ping, sigterm_while_connected, stats_back_to_baseline,
                   stats_baseline, stats_problem)

MIB = 1 << 20


def bad(section, key, value, index=None):
    """BASE_CONFIG-shaped appliance config with appliance.<section>[.<index>].<key> = value."""
    cfg = deep_merge(BASE_CONFIG, {})
    target = cfg["appliance"][section]
    (target[index] if index is not None else target)[key] = value
    return cfg


CASES = [
    Case("ping", needs=("curl", "ping"), steps=[
        ping("{gw}", count=5, replies=5),
        ping("{unused}", count=1, replies=0, within=3),
    ]),

    Case("ready", steps=[
        http("GET", "/ready", 200),
        http("GET", "/stats", 200, content_type="application/json", check_body=stats_problem),
        http("GET", "/nope", 404),
        http("POST", "/ready", 405),
        http_reuse("/ready", 2),
        http_reuse("/ready", 2, close=True),
    ]),

    Case("sequential_1000", steps=[
        client("sequential.py", "{gw}", "{admin}", 1000, timeout=300, note=True),
    ]),

    Case("concurrent_200", steps=[
        client("concurrent_ready.py", "{gw}", "{admin}", 200, 60, timeout=90, note=True),
    ]),

    Case("echo_100mib", steps=[
        client("echo_bulk.py", "{gw}", "{echo}", 100 * MIB, 180, timeout=200, note=True),
    ]),

    Case("no_leak", steps=[
        stats_baseline(),
        client("mixed_load.py", "{gw}", "{admin}", "{echo}", "{discard}", timeout=150),
        stats_back_to_baseline(timeout=30),
    ]),

    # An MTU the port cannot carry (DPDK 22.11's TAP PMD takes 1522-byte
    # frames at most) stops the gateway at boot with a clear error and no
    # stray process or device.
    Case("mtu_too_big_for_port", start=False, needs=(), steps=[
        gateway_rejects({"appliance": dict(BASE_CONFIG["appliance"], interfaces=[dict(
            BASE_CONFIG["appliance"]["interfaces"][0], mtu=9000)])},
            r"MTU 9000 exceeds the device's maximum frame of \d+ bytes", name="mtu9000"),
    ]),

    # Slow or idle clients cannot hold the admin listener's connection pool.
    Case("admin_slowloris", steps=[
        stats_baseline(),
        client("slow_admin.py", "{gw}", "{admin}", 300, timeout=60, note=True),
        stats_back_to_baseline(timeout=30),
    ]),

    Case("bad_config", start=False, needs=(), steps=[
        gateway_rejects(bad("admin", "port", 70000), json_path_re("appliance", "admin", "port"),
                        name="port_out_of_range"),
        gateway_rejects(bad("interfaces", "mtu", "big", index=0),
                        json_path_re("appliance", "interfaces", 0, "mtu"), name="mtu_not_number"),
        gateway_rejects(bad("interfaces", "address", "10.99.0.300/24", index=0),
                        json_path_re("appliance", "interfaces", 0, "address"),
                        name="bad_address"),
        gateway_rejects('{"appliance": {"interfaces": [', r"\S", name="truncated_json"),
        gateway_rejects(None, "{path}", name="missing_file"),
    ]),

    Case("sigterm", steps=[
        sigterm_while_connected(within=3),
    ]),
]
