/* SPDX-License-Identifier: Apache-2.0 */
/* Throughput floor for bench/30-supervisor.sh: reads its stdin pipe the way the supervisor
 * reads a command's output (pipe enlarged to 1 MiB, 1 MiB reads) and does nothing else: no
 * scan, no output. `cat FILE | pipe_drain` is then the fastest any supervisor that captures a
 * command's output through a pipe can be. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

int main(void)
{
	(void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, CHUNK); /* kept at the default if refused */
	char *buf = malloc(CHUNK);
	if (!buf)
		return 1;
	ssize_t n;
	unsigned long long total = 0;
	while ((n = read(STDIN_FILENO, buf, CHUNK)) > 0)
		total += (unsigned long long)n;
	free(buf);
	if (n < 0) {
		perror("pipe_drain: read");
		return 1;
	}
	return total ? 0 : 1;
}
