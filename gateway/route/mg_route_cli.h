/*
 * `gateway route-test --config FILE [--json] METHOD URL [-H 'name: value']...`: the offline
 * route tester.  It loads and validates FILE, builds the routing table as the gateway would
 * (without endpoints: no network), parses the request with the gateway's own HTTP parser, and
 * prints the decision: the gateway route, virtual service, virtual router, route and weighted
 * targets, with the Host and target sent upstream, or the status the gateway would answer.
 * With --json, one object:
 *   {"status": 200, "gatewayRoute": "...", "virtualService": "...", "virtualRouter": "...",
 *    "route": "...", "targets": [{"virtualNode": "...", "weight": 90, "port": 8080}, ...],
 *    "host": "...", "path": "..."}
 * with null for what does not apply.
 */
#ifndef MG_ROUTE_CLI_H
#define MG_ROUTE_CLI_H

/* mg_route_cli() runs the tester on argv[1..] (argv[0] is "route-test"); returns the exit
 * status: 0 when a decision was printed, 2 for usage or configuration errors. */
int mg_route_cli(int argc, char **argv);

#endif /* MG_ROUTE_CLI_H */
