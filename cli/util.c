/* SPDX-License-Identifier: Apache-2.0 */
/* cli: error reporting and errno -> exit code mapping shared by all commands. */
#include <errno.h>
#include <stdio.h>

#include "cli/cli.h"

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "secretctl: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int cli_exit_from_errno(int r)
{
	switch (-r) {
	case 0: return CLI_OK;
	case EINVAL: case E2BIG: case EEXIST: case ENAMETOOLONG: return CLI_EUSAGE;
	case ENOENT: return CLI_ENOTFOUND;
	case EACCES: case EPERM: case EAGAIN: return CLI_EAUTH;
	case EBADMSG: return CLI_EINTEGRITY;
	default: return CLI_EIO;
	}
}
