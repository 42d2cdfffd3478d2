/* SPDX-License-Identifier: Apache-2.0 */
/* Replay driver for the libFuzzer targets: a plain main() that feeds each file named on the
 * command line (or every file of a named directory) to LLVMFuzzerTestOneInput, so saved corpus
 * files run as regression tests in the normal gcc build. Linked once per target. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not corpus files (libFuzzer's default -max_len is far smaller). */
#define REPLAY_INPUT_MAX (16 * 1024 * 1024)

static int replay_file(const char *path)
{
	struct buf b = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int r = fd_read_all(fd, REPLAY_INPUT_MAX, &b);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
		buf_release(&b);
		return -1;
	}
	/* A copy of exactly the file's size, so ASan sees reads past the end. */
	uint8_t *copy = malloc(b.len ? b.len : 1);
	if (!copy) {
		buf_release(&b);
		return -1;
	}
	if (b.len)
		memcpy(copy, b.data, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	buf_release(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			failed |= replay_file(argv[i]) < 0;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			failed = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			if (ents[k]->d_name[0] != '.') {
				struct buf p = BUF_INIT;
				if (buf_printf(&p, "%s/%s", argv[i], ents[k]->d_name) == 0)
					failed |= replay_file(p.data) < 0;
				buf_release(&p);
			}
			free(ents[k]);
		}
		free(ents);
	}
	return failed;
}
