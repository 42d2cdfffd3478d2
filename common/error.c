/* SPDX-License-Identifier: Apache-2.0 */
/* common: error detail: reterr_set and its readers. */
#include "common/common.h"

#include <stdio.h>
#include <string.h>

int reterr_set(struct reterr *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->line = 0;
		err->column = 0;
	}
	return code;
}

int reterr_set_at(struct reterr *err, int code, int line, int column, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->line = line;
		err->column = column;
	}
	return code;
}

const char *reterr_str(const struct reterr *err, int code)
{
	if (err && err->msg[0])
		return err->msg;
	return strerror(code < 0 ? -code : code);
}
