/* SPDX-License-Identifier: Apache-2.0 */
/* vault database copies: SQLite's online backup API stepped a slice of pages at a time, so a
 * long copy (backup, restore) can report how far it has come. */
#include "vault/vault-internal.h"

#include <errno.h>

/* Pages per step: 1 MiB of 4 KiB pages, small enough for a smooth bar, large enough that the
 * step's own cost does not show. */
#define COPY_STEP_PAGES 256

int vault_db_copy(sqlite3 *dst, sqlite3 *src, int busy_tries, const struct vault_progress *progress,
		  enum vault_progress_step step, struct reterr *err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return reterr_set(err, -EIO, "cannot start the database copy: %s",
				  sqlite3_errmsg(dst));
	int rc, tries = 0;
	for (;;) {
		rc = sqlite3_backup_step(b, COPY_STEP_PAGES);
		if (rc == SQLITE_OK || rc == SQLITE_DONE) {
			/* The counts are those of the last step: a source that changed in between
			 * makes SQLite start over, and the bar with it. */
			int total = sqlite3_backup_pagecount(b);
			int left = sqlite3_backup_remaining(b);
			if (total > 0 && left >= 0 && left <= total)
				vault_progress_tell(progress, step, (uint64_t)(total - left),
						    (uint64_t)total);
			if (rc == SQLITE_DONE)
				break;
			continue;
		}
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries++ >= busy_tries)
			break;
		sqlite3_sleep(50);
	}
	int fin = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || fin != SQLITE_OK)
		return reterr_set(err, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO,
				  "cannot copy the database: %s",
				  sqlite3_errstr(rc != SQLITE_DONE ? rc : fin));
	return 0;
}
