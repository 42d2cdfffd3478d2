/* SPDX-License-Identifier: Apache-2.0 */
/* cli: reading from the terminal and standard input: hidden lines (passwords), hidden values
 * that may be pasted over several lines, yes/no questions, and whether stdin holds data. The
 * terminal's modes are restored on every path, signals included. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

/* ---- the terminal's modes ------------------------------------------------------------------ */

/* Bracketed paste (xterm, VTE, kitty, iTerm2, tmux, Windows Terminal...): the terminal marks a
 * paste with ESC [200~ ... ESC [201~, so newlines inside it are text, not Enter. A terminal
 * that does not know the mode ignores the request. */
#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"

/* While echo is off, a signal must not leave the user's terminal silent (or in paste mode): the
 * handler restores the saved modes and re-raises with the default action. Only
 * async-signal-safe calls. */
static volatile sig_atomic_t tty_restore_fd = -1;
static volatile sig_atomic_t tty_paste = 0;
static struct termios tty_saved;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void tty_signal_handler(int sig)
{
	int saved_errno = errno;
	if (tty_restore_fd >= 0) {
		if (tty_paste)
			(void)!write(tty_restore_fd, PASTE_OFF, sizeof(PASTE_OFF) - 1);
		(void)tcsetattr(tty_restore_fd, TCSAFLUSH, &tty_saved);
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	(void)sigaction(sig, &dfl, NULL);
	(void)raise(sig);
	errno = saved_errno;
}

static int tty_open(void)
{
	/* Served by the session agent: the client's terminal, which it passed along. */
	int t = cli_session_tty();
	int fd = t >= 0 ? fcntl(t, F_DUPFD_CLOEXEC, 3)
			: open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -ENXIO : fd;
}

bool cli_have_tty(void)
{
	int fd = tty_open();
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

struct tty_guard {
	int fd;
	struct sigaction old[ARRAY_SIZE(tty_signals)];
};

/* Switch fd to the modes adjust() makes of the current ones (bracketed paste on when paste),
 * with handlers that undo it on a signal. Input typed before the prompt is discarded (it may
 * be a password typed too early, or the start of something pasted while echo was still on):
 * say so rather than lose it silently. 0 or -errno (nothing changed). */
static int tty_begin(struct tty_guard *g, int fd, void (*adjust)(struct termios *), bool paste)
{
	struct termios mode;
	struct sigaction sa;
	int pending = 0;
	if (tcgetattr(fd, &tty_saved) < 0)
		return -ENXIO;
	mode = tty_saved;
	adjust(&mode);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_signal_handler;
	sigemptyset(&sa.sa_mask);
	g->fd = fd;
	tty_restore_fd = fd;
	for (size_t i = 0; i < ARRAY_SIZE(tty_signals); i++)
		(void)sigaction(tty_signals[i], &sa, &g->old[i]);
	if (ioctl(fd, FIONREAD, &pending) < 0)
		pending = 0;
	if (tcsetattr(fd, TCSAFLUSH, &mode) < 0) {
		int r = -errno;
		tty_restore_fd = -1;
		for (size_t i = 0; i < ARRAY_SIZE(tty_signals); i++)
			(void)sigaction(tty_signals[i], &g->old[i], NULL);
		return r;
	}
	if (pending > 0)
		cli_warn("%d bytes typed before the prompt were discarded (the terminal may have "
			 "shown them)",
			 pending);
	if (paste && fd_write_all(fd, PASTE_ON, sizeof(PASTE_ON) - 1) == 0)
		tty_paste = 1;
	return 0;
}

/* Restore the saved modes (dropping unread input, which must not reach the shell: it may be
 * the rest of a secret pasted at a one-line prompt) and the signal handlers. Dropped input is
 * reported, never lost silently. */
static void tty_end(struct tty_guard *g)
{
	int pending = 0;
	if (tty_paste)
		(void)fd_write_all(g->fd, PASTE_OFF, sizeof(PASTE_OFF) - 1);
	tty_paste = 0;
	if (ioctl(g->fd, FIONREAD, &pending) < 0)
		pending = 0;
	(void)tcsetattr(g->fd, TCSAFLUSH, &tty_saved);
	if (pending > 0)
		cli_warn("%d bytes typed after the input ended were discarded (a prompt for one "
			 "line reads one line; they were not passed to the shell)",
			 pending);
	tty_restore_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(tty_signals); i++)
		(void)sigaction(tty_signals[i], &g->old[i], NULL);
}

/* ---- lines: passwords, stdin ---------------------------------------------------------------- */

/* Read one line from fd byte by byte into secure memory (no stdio buffer keeps a copy). */
static int read_line_secret(int fd, size_t max, struct secret **ret)
{
	struct secret *s = secret_new(max + 1);
	if (!s)
		return -ENOMEM;
	bool any = false;
	for (;;) {
		unsigned char c;
		ssize_t n = fd_read(fd, &c, 1);
		if (n < 0) {
			secret_free(s);
			return (int)n;
		}
		if (n == 0)
			break;
		any = true;
		if (c == '\n')
			break;
		if (s->len == max) {
			sodium_memzero(&c, sizeof(c));
			secret_free(s);
			return -E2BIG;
		}
		s->data[s->len++] = c;
		sodium_memzero(&c, sizeof(c));
	}
	if (!any) {
		secret_free(s);
		return -ENODATA;
	}
	if (s->len && s->data[s->len - 1] == '\r')
		s->len--;
	s->data[s->len] = 0;
	*ret = s;
	return 0;
}

int cli_read_stdin_line(size_t max, struct secret **ret)
{
	return read_line_secret(STDIN_FILENO, max, ret);
}

static void mode_line_hidden(struct termios *t)
{
	t->c_lflag &= ~(tcflag_t)ECHO;
	t->c_lflag |= ECHONL; /* the newline still shows, so the next output starts a line */
}

int cli_tty_read_secret(const char *prompt, size_t max, struct secret **ret)
{
	AUTO_CLOSE int fd = tty_open();
	struct tty_guard g;
	if (fd < 0)
		return fd;
	int r = tty_begin(&g, fd, mode_line_hidden, false);
	if (r < 0)
		return r;
	r = fd_write_all(fd, prompt, strlen(prompt));
	if (r == 0)
		r = read_line_secret(fd, max, ret);
	tty_end(&g);
	return r;
}

int cli_tty_confirm(const char *question)
{
	AUTO_CLOSE int fd = tty_open();
	if (fd < 0)
		return fd;
	int r = fd_write_all(fd, question, strlen(question));
	if (r < 0)
		return r;
	char line[16];
	size_t len = 0;
	for (;;) {
		char c;
		ssize_t n = fd_read(fd, &c, 1);
		if (n < 0)
			return (int)n;
		if (n == 0 || c == '\n')
			break;
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	line[len] = 0;
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

/* ---- hidden values that may span lines ------------------------------------------------------ */

/* A paste on a terminal without bracketed paste arrives as one burst: input that follows an
 * Enter within this time continues the value. A person does not type the next key this fast
 * after pressing Enter to finish. */
#define VALUE_READAHEAD_MS 100
#define VALUE_CHUNK 4096
#define VALUE_SEQ_MAX 16 /* longest escape sequence looked at (ESC [ 200 ~ is 6 bytes) */

enum value_end { VALUE_READING, VALUE_ENTER, VALUE_EOF };

struct value_reader {
	struct secret *val; /* cap = the limit */
	cc_t erase, kill, eof;
	enum value_end end;
	bool paste;    /* inside a bracketed paste */
	bool cr;       /* the last byte was CR: an LF right after it ends the same line */
	bool overflow; /* more than the limit arrived: the rest is read and dropped */
	size_t after;  /* bytes that followed Ctrl-D */
	unsigned char seq[VALUE_SEQ_MAX]; /* an escape sequence being read, ESC first */
	size_t nseq;
};

static void mode_value(struct termios *t)
{
	/* Byte by byte, no echo, no line length limit (the kernel's line editor stops at 4095
	 * bytes), CR and LF as sent; Ctrl-C still interrupts. */
	t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	t->c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | ISTRIP);
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
}

static void value_put(struct value_reader *r, const void *p, size_t n)
{
	struct secret *v = r->val;
	if (r->overflow || n > v->cap - v->len) {
		r->overflow = true;
		return;
	}
	memcpy(v->data + v->len, p, n);
	v->len += n;
}

/* Backspace removes one character (a whole UTF-8 sequence), Ctrl-U the current line. */
static void value_erase(struct value_reader *r, bool line)
{
	struct secret *v = r->val;
	if (line) {
		while (v->len && v->data[v->len - 1] != '\n')
			v->data[--v->len] = 0;
		return;
	}
	while (v->len && (v->data[v->len - 1] & 0xc0) == 0x80)
		v->data[--v->len] = 0;
	if (v->len)
		v->data[--v->len] = 0;
}

/* One more byte of an escape sequence: the paste markers switch paste mode; inside a paste any
 * other sequence is text; outside one it is a key (an arrow, a function key) and is dropped. */
static void value_seq(struct value_reader *r, unsigned char c)
{
	r->seq[r->nseq++] = c;
	bool done = r->nseq == 2 ? c != '[' : c >= 0x40 && c <= 0x7e;
	if (!done && r->nseq < sizeof(r->seq))
		return;
	if (r->nseq == 6 && !memcmp(r->seq, "\033[200~", 6))
		r->paste = true;
	else if (r->nseq == 6 && !memcmp(r->seq, "\033[201~", 6))
		r->paste = false;
	else if (r->paste)
		value_put(r, r->seq, r->nseq);
	sodium_memzero(r->seq, sizeof(r->seq));
	r->nseq = 0;
}

static void value_byte(struct value_reader *r, unsigned char c)
{
	bool after_cr = r->cr;
	r->cr = false;
	if (r->end == VALUE_EOF) {
		r->after++;
		return;
	}
	if (c == '\n' && after_cr)
		return; /* CR LF: one line end */
	if (r->end == VALUE_ENTER) {
		/* More input right after Enter: the line end was part of a paste. */
		r->end = VALUE_READING;
		value_put(r, "\n", 1);
	}
	if (r->nseq) {
		value_seq(r, c);
	} else if (c == 0x1b) {
		r->seq[r->nseq++] = c;
	} else if (c == '\r' || c == '\n') {
		r->cr = c == '\r';
		if (r->paste)
			value_put(r, "\n", 1);
		else
			r->end = VALUE_ENTER;
	} else if (r->paste) {
		value_put(r, &c, 1);
	} else if (c == r->eof) {
		r->end = VALUE_EOF;
	} else if (c == r->erase || c == 0x7f || c == 0x08) {
		value_erase(r, false);
	} else if (c == r->kill) {
		value_erase(r, true);
	} else {
		value_put(r, &c, 1);
	}
}

/* 1 when fd has input within ms, 0 when not, -errno. */
static int input_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		int n = poll(&p, 1, ms);
		if (n >= 0)
			return n > 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Read until the value ends: Enter or Ctrl-D outside a paste, with no input right behind it. */
static int value_loop(struct value_reader *r, int fd)
{
	AUTO_SECRET struct secret *chunk = secret_new(VALUE_CHUNK);
	if (!chunk)
		return -ENOMEM;
	for (;;) {
		ssize_t n = fd_read(fd, chunk->data, VALUE_CHUNK);
		if (n < 0)
			return (int)n;
		if (n == 0) /* the terminal hung up */
			return r->end == VALUE_READING && !r->val->len ? -ENODATA : 0;
		for (ssize_t i = 0; i < n; i++)
			value_byte(r, chunk->data[i]);
		sodium_memzero(chunk->data, (size_t)n);
		if (r->end == VALUE_READING)
			continue;
		int more = input_within(fd, VALUE_READAHEAD_MS);
		if (more <= 0)
			return more;
	}
}

static size_t count_lines(const struct secret *s)
{
	size_t n = 1;
	for (size_t i = 0; i + 1 < s->len; i++)
		n += s->data[i] == '\n';
	return n;
}

int cli_tty_read_value(const char *prompt, size_t max, struct secret **ret)
{
	AUTO_CLOSE int fd = tty_open();
	struct value_reader r = { 0 };
	struct tty_guard g;
	if (fd < 0)
		return fd;
	if (!(r.val = secret_new(max)))
		return -ENOMEM;
	int e = tty_begin(&g, fd, mode_value, true);
	if (e == 0) {
		r.erase = tty_saved.c_cc[VERASE];
		r.kill = tty_saved.c_cc[VKILL];
		r.eof = tty_saved.c_cc[VEOF];
		e = fd_write_all(fd, prompt, strlen(prompt));
		if (e == 0)
			e = value_loop(&r, fd);
		(void)fd_write_all(fd, "\n", 1); /* echo is off: end the prompt's line */
		if (e == 0 && !r.overflow && !r.after && count_lines(r.val) > 1) {
			char note[64];
			int n = snprintf(note, sizeof(note), "(%zu lines)\n", count_lines(r.val));
			(void)fd_write_all(fd, note, (size_t)n);
		}
		tty_end(&g);
	}
	sodium_memzero(&r.seq, sizeof(r.seq));
	if (e == 0 && r.overflow)
		e = -E2BIG;
	else if (e == 0 && r.after)
		e = -EBUSY;
	else if (e == 0 && r.val->len == 0)
		e = -ENODATA;
	if (e < 0) {
		secret_free(r.val);
		return e;
	}
	r.val->data[r.val->len] = 0;
	*ret = r.val;
	return 0;
}

/* ---- standard input --------------------------------------------------------------------------- */

/* A pipe whose writer has not written yet gets this long to do so. */
#define STDIN_WAIT_MS 50

bool cli_stdin_pending(void)
{
	struct stat st;
	int n = 0;
	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode)) {
		off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
		return pos >= 0 && st.st_size > pos;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return false; /* /dev/null and other devices */
	/* Readable and nothing to read is the end of input; otherwise wait a moment for a writer
	 * that started with us. */
	if (input_within(STDIN_FILENO, STDIN_WAIT_MS) <= 0)
		return false;
	return ioctl(STDIN_FILENO, FIONREAD, &n) == 0 && n > 0;
}
