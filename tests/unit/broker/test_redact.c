/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of broker_redact_fds, the stream behind `secretctl redact`, with the input read by a
 * second thread and by the filtering thread itself (the fallback): the same output for both,
 * secrets across the input slots' boundaries, the idle flush while the input is quiet, a reader
 * of the output that leaves, a failing output and a failing input while the writer of the input
 * stays silent (the reader thread must be ended in read(2)). Real pipes, a writer thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker-internal.h"
#include "tests/unit/unit.h"

#define S(lit) ((char *)(lit))
#define SECRET "Zq8vLmP3xR7tK2wN9cF4hJ6bD1gS5yEu" /* 32 bytes, as an API key */

static char dir[64];

static void setup(void)
{
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(secret_lib_init(), 0);
	strcpy(dir, "/tmp/test_redact.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv(VAULT_DIR_ENV, dir, 1);
	unsetenv(POLICY_ENV);
	ck_assert_int_eq(broker_process_init(false, &err), 0);
	(void)signal(SIGPIPE, SIG_IGN); /* as the CLI: a reader that left is EPIPE */
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	unsetenv("REDACT_TEST_KEY");
}

/* A prepared run redacting $REDACT_TEST_KEY (as `secretctl redact --from-env REDACT_TEST_KEY`;
 * preparing takes the value out of the environment). */
static struct broker_run *run_new(void)
{
	struct reterr err = RETERR_INIT;
	static char *from_env[] = { S("REDACT_TEST_KEY"), NULL };
	struct broker_opts bo = { .source = "cli" };
	struct broker_req q = { .from_env = from_env,
				.profile = -1,
				.network = -1,
				.stdin_fd = -1,
				.raw_terminal = true };
	struct broker *b = NULL;
	struct broker_run *r = NULL;
	setenv("REDACT_TEST_KEY", SECRET, 1);
	ck_assert_msg(broker_new(&bo, &b, &err) == 0, "%s", err.msg);
	ck_assert_msg(broker_run_new(b, &q, &r, &err) == 0, "%s", err.msg);
	ck_assert_msg(broker_run_prepare(r, &err) == 0, "%s", err.msg);
	return r;
}

static void run_free(struct broker_run *r)
{
	struct broker *b = r->b;
	broker_run_free(r);
	broker_free(b);
}

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- a writer thread feeding the input pipe ---------------------------------------------- */

struct writer {
	int fd;
	const char *p;
	size_t len, piece; /* written in pieces of this size */
	unsigned pause_ms; /* between pieces */
	bool keep_open;	   /* then wait for `release` before closing */
	int release[2];
	pthread_t th;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (size_t o = 0; o < w->len;) {
		size_t n = w->len - o < w->piece ? w->len - o : w->piece;
		ssize_t k = write(w->fd, w->p + o, n);
		if (k <= 0)
			break; /* the redactor gave up (EPIPE): nothing more to give */
		o += (size_t)k;
		if (w->pause_ms)
			(void)poll(NULL, 0, (int)w->pause_ms);
	}
	if (w->keep_open) {
		char c;
		if (read(w->release[0], &c, 1) < 0)
			c = 0;
	}
	close(w->fd);
	return NULL;
}

/* Start writing p to a new pipe; returns the pipe's read end. */
static int writer_start(struct writer *w)
{
	int pfd[2];
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(w->release, O_CLOEXEC), 0);
	w->fd = pfd[1];
	ck_assert_int_eq(pthread_create(&w->th, NULL, writer_main, w), 0);
	return pfd[0];
}

static void writer_end(struct writer *w)
{
	ck_assert_int_eq(write(w->release[1], "x", 1), 1);
	pthread_join(w->th, NULL);
	close(w->release[0]);
	close(w->release[1]);
}

/* Redact in[0..len) written in pieces of `piece` bytes; returns the output (malloc'd,
 * NUL-terminated) and its length, and the count of redactions. */
static char *redact_all(bool threads, const char *in, size_t len, size_t piece, size_t *ret_len,
			uint64_t *ret_count)
{
	struct reterr err = RETERR_INIT;
	struct broker_run *r = run_new();
	struct writer w = { .p = in, .len = len, .piece = piece };
	int ifd = writer_start(&w);
	FILE *out = tmpfile();
	uint64_t *counts = NULL;
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(broker_redact_fds(r, ifd, fileno(out), threads, &counts, &err) == 0, "%s",
		      err.msg);
	writer_end(&w);
	close(ifd);
	*ret_count = counts[0];
	free(counts);
	long n = ftell(out);
	ck_assert_int_ge(n, 0);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	rewind(out);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, out), (size_t)n);
	buf[n] = '\0';
	fclose(out);
	run_free(r);
	*ret_len = (size_t)n;
	return buf;
}

/* 3 MiB of log lines, the secret placed across every 32 KiB boundary (the slot size) and at a
 * few others; the expected output beside it. */
static void make_log(char **ret_in, size_t *ret_len, char **ret_want, size_t *ret_want_len,
		     unsigned *ret_n)
{
	size_t cap = 3u << 20, len = 0, wlen = 0;
	char *in = malloc(cap + 4096), *want = malloc(cap + 4096);
	unsigned n = 0, line = 0;
	ck_assert(in && want);
	while (len < cap) {
		size_t next = (len / 32768 + 1) * 32768; /* the next slot boundary */
		int k = snprintf(in + len, 128, "%08u INFO request served in %u ms\n", line,
				 line % 97);
		memcpy(want + wlen, in + len, (size_t)k);
		len += (size_t)k;
		wlen += (size_t)k;
		line++;
		if (next - len < 64 && next - len > 3) {
			/* "key=" then the secret starting a few bytes before the boundary */
			size_t pad = next - len - 3 - (line % 4);
			memset(in + len, '.', pad);
			memcpy(want + wlen, in + len, pad);
			len += pad;
			wlen += pad;
			len += (size_t)sprintf(in + len, "k=%s\n", SECRET);
			wlen += (size_t)sprintf(want + wlen, "k=[REDACTED:REDACT_TEST_KEY]\n");
			n++;
		}
	}
	*ret_in = in;
	*ret_len = len;
	*ret_want = want;
	*ret_want_len = wlen;
	*ret_n = n;
}

static void check_log(bool threads, size_t piece)
{
	char *in, *want, *got;
	size_t len, wlen, glen;
	unsigned n;
	uint64_t count;
	make_log(&in, &len, &want, &wlen, &n);
	got = redact_all(threads, in, len, piece, &glen, &count);
	ck_assert_uint_gt(n, 90);
	ck_assert_uint_eq(count, n);
	ck_assert_uint_eq(glen, wlen);
	ck_assert_msg(memcmp(got, want, wlen) == 0, "output differs (threads %d, piece %zu)",
		      threads, piece);
	ck_assert_ptr_null(strstr(got, SECRET));
	free(in);
	free(want);
	free(got);
}

START_TEST(test_log_threads)
{
	check_log(true, 1u << 20);
	check_log(true, 4096);
	check_log(true, 32768 - 7);
}
END_TEST

START_TEST(test_log_inline)
{
	check_log(false, 1u << 20);
	check_log(false, 4096);
	check_log(false, 32768 - 7);
}
END_TEST

/* ---- the redactor in a thread of its own, its output read here ---------------------------- */

struct job {
	struct broker_run *r;
	int ifd, ofd;
	bool threads;
	int rc;
	struct reterr err;
	pthread_t th;
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	j->rc = broker_redact_fds(j->r, j->ifd, j->ofd, j->threads, NULL, &j->err);
	return NULL;
}

static void job_start(struct job *j, bool threads, int ifd, int ofd)
{
	*j = (struct job){ .r = run_new(), .ifd = ifd, .ofd = ofd, .threads = threads, .rc = 1 };
	j->err = (struct reterr)RETERR_INIT;
	ck_assert_int_eq(pthread_create(&j->th, NULL, job_main, j), 0);
}

/* Wait for the job to end, at most limit_ms; returns how long it took. */
static uint64_t job_join(struct job *j, uint64_t limit_ms)
{
	uint64_t t0 = ms_now();
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(limit_ms / 1000u + 1u);
	ck_assert_msg(pthread_timedjoin_np(j->th, NULL, &dl) == 0,
		      "the redactor did not end within %llu ms", (unsigned long long)limit_ms);
	run_free(j->r);
	return ms_now() - t0;
}

/* Read from fd until `want` appears in what was read or limit_ms pass; returns what was read. */
static char *read_until(int fd, const char *want, unsigned limit_ms, size_t *ret_len)
{
	static char buf[65536];
	size_t n = 0;
	uint64_t end = ms_now() + limit_ms;
	buf[0] = '\0';
	while (!strstr(buf, want) && ms_now() < end && n < sizeof(buf) - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 20) == 1) {
			ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			buf[n] = '\0';
		}
	}
	*ret_len = n;
	return buf;
}

/* The secret written three bytes at a time with pauses, then a line without its end: the end
 * must show while the input stays open (the idle flush, after the filter's wait for the next
 * slot timed out), and the secret never. */
static void check_idle(bool threads)
{
	static const char text[] = "k=" SECRET " then progress 42%";
	struct writer w = {
		.p = text, .len = sizeof(text) - 1, .piece = 3, .pause_ms = 5, .keep_open = true
	};
	int ifd = writer_start(&w), ofd[2];
	struct job j;
	size_t n;
	ck_assert_int_eq(pipe2(ofd, O_CLOEXEC), 0);
	job_start(&j, threads, ifd, ofd[1]);
	char *got = read_until(ofd[0], "progress 42%", 3000, &n);
	ck_assert_msg(strcmp(got, "k=[REDACTED:REDACT_TEST_KEY] then progress 42%") == 0,
		      "before the end of input: '%s'", got);
	writer_end(&w);
	job_join(&j, 5000);
	ck_assert_msg(j.rc == 0, "%s", j.err.msg);
	close(ifd);
	close(ofd[0]);
	close(ofd[1]);
}

START_TEST(test_idle_flush)
{
	check_idle(true);
	check_idle(false);
}
END_TEST

/* The output's reader leaves (`| head -1`) while the input keeps coming, then while the input
 * is open and silent: the redactor ends with 0, as cat(1) would under SIGPIPE, and promptly. */
static void check_reader_leaves(bool threads, bool silent)
{
	static char big[1 << 20];
	memset(big, 'a', sizeof(big));
	for (size_t i = 79; i < sizeof(big); i += 80)
		big[i] = '\n';
	struct writer w = {
		.p = big, .len = silent ? 4096 : sizeof(big), .piece = 4096, .keep_open = true
	};
	int ifd = writer_start(&w), ofd[2];
	struct job j;
	size_t n;
	ck_assert_int_eq(pipe2(ofd, O_CLOEXEC), 0);
	job_start(&j, threads, ifd, ofd[1]);
	(void)read_until(ofd[0], "\n", 3000, &n);
	ck_assert_uint_gt(n, 0);
	close(ofd[0]); /* the reader leaves */
	if (!silent) {
		job_join(&j, 5000);
		close(ifd); /* the writer, maybe waiting for room in the pipe, meets EPIPE */
		ifd = -1;
		writer_end(&w);
	} else {
		/* the input stays open and silent: only threads=true has a reader blocked in
		 * read(2) then, and it must be ended there; the inline reader is woken by the
		 * end of input only, as cat(1) is (the write that fails comes after a read) */
		if (threads) {
			uint64_t took = job_join(&j, 3000);
			ck_assert_uint_lt(took, 3000);
			writer_end(&w);
		} else {
			writer_end(&w);
			job_join(&j, 5000);
		}
	}
	ck_assert_msg(j.rc == 0, "threads %d silent %d: %s", threads, silent, j.err.msg);
	if (ifd >= 0)
		close(ifd);
	close(ofd[1]);
}

START_TEST(test_reader_leaves)
{
	check_reader_leaves(true, false);
	check_reader_leaves(false, false);
}
END_TEST

/* A failing output (a full disk) while the input stays open and silent: the error comes back
 * with its message, and the reader thread, blocked in read(2) by then, does not hold the call.
 * The input is an escape's start, held until the idle flush: the write that fails comes after
 * SAN_IDLE_FLUSH_MS, when the reader thread waits in read(2) for sure. */
START_TEST(test_output_fails)
{
	static const char text[] = "%4";
	for (int threads = 1; threads >= 0; threads--) {
		struct writer w = {
			.p = text, .len = sizeof(text) - 1, .piece = sizeof(text), .keep_open = true
		};
		int ifd = writer_start(&w), full = open("/dev/full", O_WRONLY | O_CLOEXEC);
		struct job j;
		ck_assert_int_ge(full, 0);
		job_start(&j, threads, ifd, full);
		if (threads) {
			job_join(&j, 3000);
			writer_end(&w);
		} else {
			job_join(&j, 3000); /* the inline reader polls while bytes are held */
			writer_end(&w);
		}
		ck_assert_int_eq(j.rc, -ENOSPC);
		ck_assert_msg(strstr(j.err.msg, "writing the output failed"), "%s", j.err.msg);
		ck_assert_ptr_null(strstr(j.err.msg, SECRET));
		close(ifd);
		close(full);
	}
}
END_TEST

/* The reader thread is ended in read(2) when the output fails (above); also when the output's
 * reader left and the input is silent. */
START_TEST(test_reader_leaves_silent_input)
{
	check_reader_leaves(true, true);
	check_reader_leaves(false, true);
}
END_TEST

/* An input that cannot be read (a directory): the error, from either reader. */
START_TEST(test_input_fails)
{
	for (int threads = 1; threads >= 0; threads--) {
		struct reterr err = RETERR_INIT;
		struct broker_run *r = run_new();
		int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
		    o = open("/dev/null", O_WRONLY | O_CLOEXEC);
		ck_assert_int_ge(d, 0);
		ck_assert_int_eq(broker_redact_fds(r, d, o, threads, NULL, &err), -EISDIR);
		ck_assert_msg(strstr(err.msg, "reading the input failed"), "%s", err.msg);
		close(d);
		close(o);
		run_free(r);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("redact");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_threads);
	tcase_add_test(tc, test_log_inline);
	tcase_add_test(tc, test_idle_flush);
	tcase_add_test(tc, test_reader_leaves);
	tcase_add_test(tc, test_output_fails);
	tcase_add_test(tc, test_reader_leaves_silent_input);
	tcase_add_test(tc, test_input_fails);
	suite_add_tcase(s, tc);
	return s;
}
