/* SPDX-License-Identifier: Apache-2.0 */
/* cli: copying a generated password to the clipboard with the tool the desktop has (wl-copy,
 * xclip, xsel), through a pipe (never argv), and a detached process that clears the clipboard
 * after a delay if it still holds that password (compared by keyed hash: the process never
 * holds the password itself). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#define CLIP_SECONDS_DEFAULT 30
#define CLIP_SECONDS_ENV "SECRETCTL_CLIPBOARD_SECONDS"
#define CLIP_READ_MAX 4096

struct tool {
	const char *display_env; /* the session this tool serves */
	const char *copy[5], *paste[5], *clear[5];
};

static const struct tool tools[] = {
	{ "WAYLAND_DISPLAY",
	  { "wl-copy", NULL },
	  { "wl-paste", "--no-newline", NULL },
	  { "wl-copy", "--clear", NULL } },
	{ "DISPLAY",
	  { "xclip", "-selection", "clipboard", NULL },
	  { "xclip", "-selection", "clipboard", "-o", NULL },
	  { "xclip", "-selection", "clipboard", NULL } },
	{ "DISPLAY",
	  { "xsel", "--clipboard", "--input", NULL },
	  { "xsel", "--clipboard", "--output", NULL },
	  { "xsel", "--clipboard", "--clear", NULL } },
};

static bool in_path(const char *prog)
{
	const char *path = secure_getenv("PATH");
	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, ":"), m = strlen(prog);
		char full[4096];
		if (n && n + 1 + m < sizeof(full)) {
			memcpy(full, p, n);
			full[n] = '/';
			memcpy(full + n + 1, prog, m + 1);
			if (access(full, X_OK) == 0)
				return true;
		}
		p += n + (p[n] == ':');
	}
	return false;
}

/* Run argv with in[0..n) on its stdin (NULL: /dev/null) and, when out, up to CLIP_READ_MAX
 * bytes of its stdout into out (locked). The exit status, or -errno. */
static int run_tool(char *const *argv, const unsigned char *in, size_t n, struct secret *out)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 };
	if (pipe2(pin, O_CLOEXEC) < 0 || (out && pipe2(pout, O_CLOEXEC) < 0))
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(in ? pin[0] : null, 0) < 0 ||
		    dup2(out ? pout[1] : null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	if (out)
		close(pout[1]);
	if (in)
		(void)fd_write_all(pin[1], in, n);
	close(pin[1]);
	while (out && out->len < CLIP_READ_MAX) {
		ssize_t k = fd_read(pout[0], out->data + out->len, CLIP_READ_MAX - out->len);
		if (k <= 0)
			break;
		out->len += (size_t)k;
	}
	if (out)
		close(pout[0]);
	int st;
	if (proc_wait(pid, &st) < 0)
		return -ECHILD;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static unsigned delay_seconds(void)
{
	const char *s = secure_getenv(CLIP_SECONDS_ENV);
	uint64_t v = CLIP_SECONDS_DEFAULT;
	if (s && parse_u64(s, 0, 24 * 3600, &v) < 0)
		v = CLIP_SECONDS_DEFAULT;
	return (unsigned)v;
}

/* The detached clearer: after the delay, clear the clipboard only if it still holds the value
 * whose keyed hash is h. Never returns. */
static void clearer(const struct tool *t, const unsigned char key[crypto_generichash_KEYBYTES],
		    const unsigned char h[crypto_generichash_BYTES], unsigned seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	struct secret *now = secret_new(CLIP_READ_MAX);
	unsigned char h2[crypto_generichash_BYTES];
	if (now && run_tool((char *const *)t->paste, NULL, 0, now) == 0) {
		crypto_generichash(h2, sizeof(h2), now->data, now->len, key,
				   crypto_generichash_KEYBYTES);
		if (sodium_memcmp(h, h2, sizeof(h2)) == 0)
			(void)run_tool((char *const *)t->clear, NULL, 0, NULL);
	}
	secret_free(now);
	_exit(0);
}

/* Start the clearer in its own session, detached from us (double fork: init reaps it). */
static void start_clearer(const struct tool *t, const unsigned char *p, size_t n)
{
	unsigned char key[crypto_generichash_KEYBYTES], h[crypto_generichash_BYTES];
	unsigned seconds = delay_seconds();
	randombytes_buf(key, sizeof(key));
	crypto_generichash(h, sizeof(h), p, n, key, sizeof(key));
	pid_t pid = fork();
	if (pid == 0) {
		/* Drop this process's copy of every locked region: the password included. */
		secure_forget_all();
		(void)setsid();
		signal(SIGHUP, SIG_IGN);
		if (fork() == 0) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			clearer(t, key, h, seconds);
		}
		_exit(0);
	}
	if (pid > 0) {
		int st;
		(void)proc_wait(pid, &st);
	}
	sodium_memzero(key, sizeof(key));
}

int cli_clipboard_copy(const char *cmd, const unsigned char *p, size_t n)
{
	const struct tool *t = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(tools) && !t; i++) {
		const char *d = secure_getenv(tools[i].display_env);
		if (d && *d && in_path(tools[i].copy[0]) && in_path(tools[i].paste[0]))
			t = &tools[i];
	}
	if (!t) {
		cli_error("%s: --copy: no clipboard tool for this session (install wl-clipboard on "
			  "Wayland, xclip or xsel on X11); nothing was copied",
			  cmd);
		return CLI_EUSAGE;
	}
	int r = run_tool((char *const *)t->copy, p, n, NULL);
	if (r != 0) {
		cli_error("%s: --copy: %s failed (%s); nothing was copied", cmd, t->copy[0],
			  r < 0 ? strerror(-r) : "exit status not 0");
		return CLI_EIO;
	}
	start_clearer(t, p, n);
	if (isatty(STDERR_FILENO))
		cli_warn("%s: the first password is on the clipboard, where every program of "
			 "this session can read it; it is cleared in %u s",
			 cmd, delay_seconds());
	return CLI_OK;
}
