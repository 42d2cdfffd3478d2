/* SPDX-License-Identifier: Apache-2.0 */
/* cli: a progress bar for long operations, drawn on standard error only when it is a terminal
 * (scripts and logs get nothing), redrawn at most once per percent, erased at the end. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#define BAR_WIDTH 30

void cli_progress_init(struct cli_progress *p, const char *label, size_t total)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->total = total;
	p->on = total > 0 && isatty(STDERR_FILENO);
	p->shown = (size_t)-1;
}

void cli_progress_update(struct cli_progress *p, size_t done)
{
	if (!p->on || done > p->total)
		return;
	size_t pct = done * 100 / p->total;
	if (pct == p->shown)
		return;
	p->shown = pct;
	char bar[BAR_WIDTH + 1];
	size_t fill = done * BAR_WIDTH / p->total;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = 0;
	char line[160];
	int n = snprintf(line, sizeof(line), "\r%s [%s] %3zu%% %zu/%zu", p->label, bar, pct, done,
			 p->total);
	if (n > 0)
		(void)fd_write_all(STDERR_FILENO, line,
				   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->on && p->shown != (size_t)-1)
		(void)fd_write_all(STDERR_FILENO, "\r\033[K", 4);
	p->on = false;
}

void cli_progress_vault(void *ctx, enum vault_progress_step step, uint64_t done, uint64_t total)
{
	static const char *const labels[] = {
		[VAULT_PROGRESS_COPY] = "copying",    [VAULT_PROGRESS_SEAL] = "encrypting",
		[VAULT_PROGRESS_OPEN] = "decrypting", [VAULT_PROGRESS_WRITE] = "writing",
		[VAULT_PROGRESS_MERGE] = "merging",
	};
	struct cli_progress *p = ctx;
	const char *label = (size_t)step < ARRAY_SIZE(labels) ? labels[step] : "working";
	if (total > SIZE_MAX || done > total)
		return;
	if (p->label != label || p->total != (size_t)total) {
		cli_progress_done(p);
		cli_progress_init(p, label, (size_t)total);
	}
	cli_progress_update(p, (size_t)done);
}
