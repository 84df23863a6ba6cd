/*
 * The appliance's config shell: a line editor (history, tab completion), a console password,
 * a command table with help text, and a candidate configuration edited with set/delete on
 * JSON paths and applied with commit.
 *
 * The library does no I/O of its own: bytes typed by the operator go in through
 * mg_shell_input(), everything it prints goes out through ops->out, and what needs the machine
 * (committing, the store, the gateway, ping, reboot) is asked of ops.  PID 1 runs it on the
 * serial console (platform/init/console.c).  Nothing typed is ever executed as a program:
 * every command is an entry of the table in mg_shell.c.
 *
 * Paths name a value in the JSON configuration: keys joined by '.', array elements as [N]
 * (e.g. appliance.proxy.staticUpstream.port, appliance.interfaces[0].mtu).
 */
#ifndef MG_SHELL_H
#define MG_SHELL_H

#include <stddef.h>

#define MG_SHELL_LINE_MAX 512
#define MG_SHELL_HISTORY  32
#define MG_SHELL_ARGS     16
#define MG_SHELL_TEXT_MAX (256 * 1024) /* largest candidate configuration */

struct mg_shell;

struct mg_shell_ops {
	/* Prints <n> bytes. */
	void (*out)(void *ctx, const char *s, size_t n);
	/* A malloc'd copy of the running configuration's text in <*text>; 0 or -errno. */
	int (*running)(void *ctx, char **text, size_t *len);
	/*
	 * Validates, persists and applies <text>.  Returns 0 and a summary in <msg>, or a negative
	 * errno value and why in <msg>; on failure nothing has changed.
	 */
	int (*commit)(void *ctx, const char *text, size_t len, char *msg, size_t cap);
	/* 1 when <pw> is the console password, 0 when not, -1 when no password is set yet.
	 * Asked with "" when the shell starts: 1 then means no password is needed at all. */
	int (*password_check)(void *ctx, const char *pw);
	/* Sets and persists the console password; 0 or -errno with why in <msg>. */
	int (*password_set)(void *ctx, const char *pw, char *msg, size_t cap);
	/*
	 * Runs a machine command: "show-interfaces", "show-stats", "show-version", "show-log",
	 * "route-test", "jwt-test", "ping", "reboot", "poweroff", "factory-reset" with its
	 * operands.  Prints its own output; returns 0 or a negative errno value.
	 */
	int (*action)(void *ctx, const char *name, int argc, char **argv);
};

/* Creates a shell; it asks for (or sets up) the password at the first Enter.  NULL: ENOMEM. */
struct mg_shell *mg_shell_new(const struct mg_shell_ops *ops, void *ctx);
void mg_shell_free(struct mg_shell *sh);

/* Feeds <n> bytes typed on the terminal (raw: CR or LF ends a line, DEL/BS erase, TAB
 * completes, ESC [ A / ESC [ B walk the history, Ctrl-U clears, Ctrl-C abandons the line). */
void mg_shell_input(struct mg_shell *sh, const char *buf, size_t n);

/*
 * Runs one command line as if typed (no password prompt; used by tests and the fuzzer).
 * Returns 0, or a negative errno value for an error (which has been printed).
 */
int mg_shell_exec(struct mg_shell *sh, const char *line);

/*
 * Splits <line> into at most MG_SHELL_ARGS words in <argv>, in place: words are separated by
 * spaces or tabs; "..." quotes a word (\" and \\ inside).  Returns the word count, or
 * -EINVAL (unterminated quote, bad escape) or -E2BIG (too many words).
 */
int mg_shell_split(char *line, char **argv);

/*
 * Edits the JSON text <*text> (<*len> bytes, malloc'd; replaced on success): sets <path> to
 * <value> (JSON, or a bare word taken as a string), creating the last key of an object or
 * appending element [size] to an array; or, with <value> NULL, deletes <path>.  Returns 0,
 * -ENOENT (no such path), -EINVAL (bad path, bad JSON, bad value) or -ENOMEM.
 */
int mg_shell_json_edit(char **text, size_t *len, const char *path, const char *value);

/*
 * Prints the leaves of <text> under <path> ("" for all) as "path = value" lines through
 * <out>.  Returns the number of lines, or -EINVAL / -ENOENT.
 */
int mg_shell_json_flatten(const char *text, size_t len, const char *path,
                          void (*out)(void *ctx, const char *line), void *ctx);

#endif /* MG_SHELL_H */
