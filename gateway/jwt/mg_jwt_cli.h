/*
 * `gateway jwt-test --config FILE [--provider NAME] TOKEN`: the offline JWT tester, used by the
 * config shell's jwt-test.
 */
#ifndef MG_JWT_CLI_H
#define MG_JWT_CLI_H

/*
 * Verifies TOKEN against every appliance.jwt provider of FILE (or the one named) with the key
 * sets from `file` and `inline` (remote ones are not fetched: such a provider says no_keys),
 * at the current time, and prints one line per provider: its name and the outcome (ok, or the
 * reason label and text the gateway would answer with).  Exit status: 0 when some provider
 * accepts the token, 1 when none does, 2 for usage or configuration errors.
 */
int mg_jwt_cli(int argc, char **argv);

#endif /* MG_JWT_CLI_H */
