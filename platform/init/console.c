/*
 * meshgate-init: the serial console.
 *
 * PID 1 owns the console: the kernel, PID 1 and the gateway log to it, and PID 1 is the only
 * reader of its input.  This is where the serial config shell will live: mg_console_input()
 * is called with each chunk of input, from PID 1's event loop, and answers on the console.
 * Until the shell exists, Enter prints a one-line status.  There is no general-purpose shell
 * in the image, and nothing here executes input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/init/init.h"

int
mg_console_open(void)
{
	return open("/dev/console", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

void
mg_console_input(int fd, const char *status)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return;
	if (memchr(buf, '\r', (size_t)n) != NULL || memchr(buf, '\n', (size_t)n) != NULL)
		mg_init_log("%s (the config shell is not in this build)", status);
}
