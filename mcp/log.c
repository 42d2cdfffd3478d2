/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the front process's log lines on stderr (stdout carries protocol messages only). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mcp/mcp-internal.h"

void mcp_log(const char *fmt, ...)
{
	static const char prefix[] = "secretctl mcp-server: ";
	char line[1024];
	size_t n = sizeof(prefix) - 1;
	va_list ap;

	memcpy(line, prefix, n);
	va_start(ap, fmt);
	int r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r : sizeof(line) - n - 2;
	for (size_t i = sizeof(prefix) - 1; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	(void)fd_write_all(STDERR_FILENO, line, n);
}
