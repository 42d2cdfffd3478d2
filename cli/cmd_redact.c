/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl redact` filters stdin to stdout through the sanitizer, replacing secrets from
 * the vault (-k) or from the caller's environment (--from-env) and their encodings. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "cli/cli.h"
#include "sanitizer/sanitizer.h"

/* Large reads keep the per-call overhead small next to the scan; the output of one read goes out
 * in one writev. */
#define REDACT_READ_SIZE (256 * 1024)
#define REDACT_STAGE_SIZE (64 * 1024)
#define REDACT_IOV_MAX 512

static void usage(FILE *f)
{
	fputs("usage: secretctl redact [-k PATTERN]... [--from-env NAME]... [--env ALIAS]\n"
	      "                        [--env-prefix P] [--count]\n"
	      "\n"
	      "Copy stdin to stdout, replacing every secret (and its base64, hex, URL, JSON and\n"
	      "shell-quoted forms) with [REDACTED:NAME].\n"
	      "\n"
	      "  -k PATTERN        redact vault secrets whose key matches PATTERN (glob, as in run);\n"
	      "                    opens the vault (password from $SECRETCTL_PASSWORD or the tty)\n"
	      "  --from-env NAME   redact the value of the environment variable NAME\n"
	      "  --env ALIAS       resolve -k patterns through the policy's environment alias\n"
	      "  --env-prefix P    prefix placeholder names as run would prefix variables\n"
	      "  --count           print the number of redactions per name to stderr at the end\n"
	      "  -h, --help        show this help\n",
	      f);
}

/* Output gathered for one writev: large runs point into the read buffer (valid until the write),
 * small pieces and held bytes (which the stream may move) are copied into stage. */
struct out {
	const unsigned char *in; /* the current read buffer */
	size_t in_len;
	struct iovec iov[REDACT_IOV_MAX];
	int niov;
	size_t stage_len;
	unsigned char stage[REDACT_STAGE_SIZE];
};

static int out_flush(struct out *o)
{
	int i = 0;
	while (i < o->niov) {
		ssize_t w = writev(STDOUT_FILENO, o->iov + i, o->niov - i);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t done = (size_t)w;
		while (i < o->niov && done >= o->iov[i].iov_len)
			done -= o->iov[i++].iov_len;
		if (i < o->niov) {
			o->iov[i].iov_base = (char *)o->iov[i].iov_base + done;
			o->iov[i].iov_len -= done;
		}
	}
	/* Held bytes can be the start of a secret that was released by an idle flush: wipe. */
	explicit_bzero(o->stage, o->stage_len);
	o->niov = 0;
	o->stage_len = 0;
	return 0;
}

static int out_emit(void *ctx, const void *buf, size_t len)
{
	struct out *o = ctx;
	const unsigned char *p = buf;
	int r;
	bool stable = p >= o->in && p + len <= o->in + o->in_len;
	if (o->niov == REDACT_IOV_MAX || (!stable && len > sizeof(o->stage) - o->stage_len)) {
		if ((r = out_flush(o)) < 0)
			return r;
	}
	if (!stable && len > sizeof(o->stage)) {
		/* Larger than the stage: write it now, nothing else is queued after the flush. */
		o->iov[0] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
		o->niov = 1;
		return out_flush(o);
	}
	if (!stable) {
		memcpy(o->stage + o->stage_len, p, len);
		p = o->stage + o->stage_len;
		o->stage_len += len;
	}
	/* Extend the previous piece when contiguous (the common case for copied bytes). */
	if (o->niov > 0 &&
	    (const unsigned char *)o->iov[o->niov - 1].iov_base + o->iov[o->niov - 1].iov_len == p) {
		o->iov[o->niov - 1].iov_len += len;
		return 0;
	}
	o->iov[o->niov++] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
	return 0;
}

static int report_out(int r)
{
	if (r == -EPIPE)
		return CLI_OK; /* the reader left: nothing more to say, like cat(1) under SIGPIPE */
	cli_error("redact: writing output failed: %s", strerror(-r));
	return CLI_EIO;
}

/* Stream stdin to stdout. Waits SAN_IDLE_FLUSH_MS for more input while bytes are held, then
 * releases what cannot reveal anything, so a progress line keeps updating. */
static int filter(struct san_stream *st, unsigned char *ibuf, struct out *o)
{
	int r;
	/* A bigger pipe buffer lets the writer run ahead and makes each read larger (fewer system
	 * calls per byte). Best effort: not a pipe, or above the system's limit, is fine. */
	(void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, REDACT_READ_SIZE * 4);
	/* Same on the way out: one read's output fits in the pipe, so a writev rarely waits for the
	 * reader downstream. */
	(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, REDACT_READ_SIZE * 4);
	for (;;) {
		/* poll only when something is held: otherwise a blocking read waits just as well and
		 * saves a system call per read. */
		int pr = 1;
		if (san_stream_pending(st)) {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			pr = poll(&pfd, 1, SAN_IDLE_FLUSH_MS);
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			cli_error("redact: poll on stdin failed: %s", strerror(errno));
			return CLI_EIO;
		}
		if (pr == 0) {
			o->in = NULL;
			o->in_len = 0;
			if ((r = san_flush_idle(st, out_emit, o)) < 0 || (r = out_flush(o)) < 0)
				return report_out(r);
			continue;
		}
		ssize_t n = fd_read(STDIN_FILENO, ibuf, REDACT_READ_SIZE);
		if (n < 0) {
			cli_error("redact: reading stdin failed: %s", strerror((int)-n));
			return CLI_EIO;
		}
		o->in = ibuf;
		o->in_len = (size_t)n;
		if (n == 0) {
			if ((r = san_finish(st, out_emit, o)) < 0 || (r = out_flush(o)) < 0)
				return report_out(r);
			return CLI_OK;
		}
		if ((r = san_feed(st, ibuf, (size_t)n, out_emit, o)) < 0 || (r = out_flush(o)) < 0)
			return report_out(r);
	}
}

/* Build the matcher from the resolved items (freed here as soon as the set holds its copies, so
 * a large set never has both in memory); placeholder names are their environment names. */
static int build_set(struct cli_secrets **secp, struct san_set **ret)
{
	const struct cli_secrets *sec = *secp;
	struct san_set *set = san_set_new();
	int r;
	if (!set) {
		cli_error("redact: out of memory");
		return CLI_EIO;
	}
	for (size_t i = 0; i < sec->n; i++) {
		const struct cli_secret_item *it = &sec->items[i];
		r = san_set_add(set, it->env, it->value->data, it->value->len);
		if (r == -EINVAL && it->value->len < SAN_MIN_SECRET_LEN) {
			cli_error("redact: %s is shorter than %d bytes and cannot be redacted without "
				  "destroying ordinary output; use a longer secret",
				  it->env, SAN_MIN_SECRET_LEN);
			san_set_free(set);
			return CLI_EUSAGE;
		}
		if (r < 0) {
			cli_error("redact: cannot register %s: %s", it->env, strerror(-r));
			san_set_free(set);
			return cli_exit_from_errno(r);
		}
		if (it->value->len < SAN_WARN_SECRET_LEN)
			cli_warn("redact: %s is only %zu bytes long: ordinary text may be redacted too",
				 it->env, it->value->len);
	}
	*secp = cli_secrets_free(*secp);
	if ((r = san_set_compile(set)) < 0) {
		cli_error("redact: cannot build the matcher: %s", strerror(-r));
		san_set_free(set);
		return CLI_EIO;
	}
	*ret = set;
	return CLI_OK;
}

int cmd_redact(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-env", required_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "env-prefix", required_argument, NULL, 'p' },
		{ "count", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_resolve_opts ro = { 0 };
	struct cli_secrets *sec = NULL;
	struct vault *v = NULL;
	struct san_set *set = NULL;
	struct san_stream *st = NULL;
	unsigned char *ibuf = NULL;
	struct out *o = NULL;
	bool count = false;
	int c, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strv_push(&ro.patterns, optarg) < 0)
				goto nomem;
			break;
		case 'f':
			if (strv_push(&ro.from_env, optarg) < 0)
				goto nomem;
			break;
		case 'e':
			ro.env_alias = optarg;
			break;
		case 'p':
			ro.env_prefix = optarg;
			break;
		case 'c':
			count = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			rc = CLI_EUSAGE;
			goto out;
		}
	}
	if (optind < argc) {
		cli_error("redact: unexpected argument '%s' (input is read from stdin)", argv[optind]);
		rc = CLI_EUSAGE;
		goto out;
	}
	if (!ro.patterns && !ro.from_env) {
		cli_error("redact: nothing to redact: give -k PATTERN or --from-env NAME");
		rc = CLI_EUSAGE;
		goto out;
	}

	/* Before any secret is loaded: non-dumpable, no core file. */
	cli_harden();
	/* The vault is opened only when vault secrets were asked for. stdin carries the data, so
	 * the password comes from $SECRETCTL_PASSWORD or the terminal. */
	if (ro.patterns && (rc = cli_vault_unlock(false, &v)) != CLI_OK)
		goto out;
	if ((rc = cli_resolve(v, &ro, &sec)) != CLI_OK)
		goto out;
	v = vault_free(v);
	if ((rc = build_set(&sec, &set)) != CLI_OK)
		goto out;

	st = san_stream_new(set);
	ibuf = malloc(REDACT_READ_SIZE);
	o = calloc(1, sizeof(*o));
	if (!st || !ibuf || !o)
		goto nomem;
	rc = filter(st, ibuf, o);
	if (count) {
		for (size_t i = 0; i < san_set_size(set); i++)
			fprintf(stderr, "%s %llu\n", san_set_name(set, i),
				(unsigned long long)san_stream_count(st, i));
	}
	goto out;
nomem:
	cli_error("redact: out of memory");
	rc = CLI_EIO;
out:
	if (ibuf) {
		/* The last read may hold a secret's raw bytes. */
		explicit_bzero(ibuf, REDACT_READ_SIZE);
		free(ibuf);
	}
	if (o) {
		explicit_bzero(o, sizeof(*o));
		free(o);
	}
	san_stream_free(st);
	san_set_free(set);
	cli_secrets_free(sec);
	vault_free(v);
	strv_free(ro.patterns);
	strv_free(ro.from_env);
	return rc;
}
