/*
 * libFuzzer target: the config shell (platform/shell/mg_shell.c): its line editor and word
 * splitter, every command's operand checks, and set/delete on JSON paths.
 *
 * The input is typed twice: line by line through mg_shell_exec() (an authenticated operator),
 * then byte by byte through mg_shell_input() (the terminal, password prompts included).
 * Beyond not crashing: whatever the edits, the candidate a commit receives is still JSON that
 * tokenizes (set and delete never produce broken text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/shell/mg_shell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char running_text[] =
    "{\"appliance\": {\"interfaces\": [{\"name\": \"data0\", \"address\": \"10.77.0.2/24\"}],"
    " \"admin\": {\"interface\": \"data0\", \"port\": 9901}, \"list\": [], \"o\": {},"
    " \"proxy\": {\"staticUpstream\": {\"address\": \"10.0.0.1\", \"port\": 8080}}}}";

static void
out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
}

static int
running(void *ctx, char **text, size_t *len)
{
	(void)ctx;
	*text = strdup(running_text);
	*len = sizeof(running_text) - 1;
	return *text != NULL ? 0 : -1;
}

static void
nop_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static int
commit(void *ctx, const char *text, size_t len, char *msg, size_t cap)
{
	(void)ctx;
	if (mg_shell_json_flatten(text, len, "", nop_line, NULL) < 0)
		abort(); /* an edit broke the JSON */
	msg[0] = '\0';
	(void)cap;
	return -22; /* refused: the running text stays the fixed one */
}

static int
pw_check(void *ctx, const char *pw)
{
	(void)ctx;
	return *pw == '\0' ? 0 : strcmp(pw, "fuzzpass") == 0;
}

static int
pw_set(void *ctx, const char *pw, char *msg, size_t cap)
{
	(void)ctx;
	(void)pw;
	(void)cap;
	msg[0] = '\0';
	return 0;
}

static int
action(void *ctx, const char *name, int argc, char **argv)
{
	(void)ctx;
	(void)name;
	(void)argc;
	(void)argv;
	return 0;
}

static const struct mg_shell_ops ops = {out, running, commit, pw_check, pw_set, action};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_shell *sh = mg_shell_new(&ops, NULL);
	char line[MG_SHELL_LINE_MAX];
	size_t i = 0;

	if (sh == NULL)
		return 0;
	while (i < size) {
		size_t n = 0;

		while (i < size && data[i] != '\n' && n + 1 < sizeof(line))
			line[n++] = data[i] == '\0' ? ' ' : (char)data[i], i++;
		line[n] = '\0';
		i++;
		mg_shell_exec(sh, line);
	}
	mg_shell_exec(sh, "commit");
	mg_shell_free(sh);

	sh = mg_shell_new(&ops, NULL);
	if (sh == NULL)
		return 0;
	mg_shell_input(sh, "\rfuzzpass\r", 10);
	mg_shell_input(sh, (const char *)data, size);
	mg_shell_input(sh, "\rcommit\r", 8);
	mg_shell_free(sh);
	return 0;
}
