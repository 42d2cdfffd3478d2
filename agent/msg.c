/* SPDX-License-Identifier: Apache-2.0 */
/* agent messages: the typed, length-checked format of every datagram on the agent's socket and
 * control channels (agent/agent-internal.h describes it), sending and receiving them with
 * descriptors, and the info fields every HELLO and INFO carries. The decoder is fuzzed. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/agent-internal.h"

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- encoding ------------------------------------------------------------------------------ */

void agent_enc_begin(struct agent_enc *e, struct buf *b, enum agent_msg_type type)
{
	unsigned char h[AGENT_MSG_HEADER];
	*e = (struct agent_enc){ .b = b, .start = b->len };
	le32(h, AGENT_MSG_MAGIC);
	le16(h + 4, (uint16_t)type);
	le16(h + 6, 0);
	if (buf_append(b, h, sizeof(h)) < 0)
		e->err = -ENOMEM;
}

/* The header of one field; false when the encoder already failed or fails now. */
static bool field(struct agent_enc *e, uint8_t tag, uint8_t kind, size_t len)
{
	unsigned char h[8];
	if (e->err)
		return false;
	if (e->nfields >= AGENT_MSG_FIELDS_MAX || len > AGENT_BODY_MAX ||
	    e->b->len - e->start + sizeof(h) + len > AGENT_BODY_MAX) {
		e->err = -E2BIG;
		return false;
	}
	if (e->tags[tag / 64] & (1ull << (tag % 64))) {
		e->err = -EINVAL;
		return false;
	}
	e->tags[tag / 64] |= 1ull << (tag % 64);
	h[0] = tag;
	h[1] = kind;
	le16(h + 2, 0);
	le32(h + 4, (uint32_t)len);
	if (buf_append(e->b, h, sizeof(h)) < 0) {
		e->err = -ENOMEM;
		return false;
	}
	e->nfields++;
	return true;
}

void agent_enc_str(struct agent_enc *e, uint8_t tag, const void *p, size_t len)
{
	if (field(e, tag, AGENT_K_STR, len) && buf_append(e->b, p ? p : "", len) < 0)
		e->err = -ENOMEM;
}

void agent_enc_cstr(struct agent_enc *e, uint8_t tag, const char *s)
{
	agent_enc_str(e, tag, s ? s : "", s ? strlen(s) : 0);
}

void agent_enc_int(struct agent_enc *e, uint8_t tag, int64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)v >> (8 * i));
	if (field(e, tag, AGENT_K_INT, sizeof(b)) && buf_append(e->b, b, sizeof(b)) < 0)
		e->err = -ENOMEM;
}

void agent_enc_strv(struct agent_enc *e, uint8_t tag, char *const *v, size_t n)
{
	size_t len = 4;
	unsigned char b[4];
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (l > AGENT_BODY_MAX || len + 4 + l > AGENT_BODY_MAX) {
			e->err = e->err ? e->err : -E2BIG;
			return;
		}
		len += 4 + l;
	}
	if (!field(e, tag, AGENT_K_STRV, len))
		return;
	le32(b, (uint32_t)n);
	int r = buf_append(e->b, b, 4);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t l = strlen(v[i]);
		le32(b, (uint32_t)l);
		if ((r = buf_append(e->b, b, 4)) == 0)
			r = buf_append(e->b, v[i], l);
	}
	if (r < 0)
		e->err = -ENOMEM;
}

int agent_enc_end(struct agent_enc *e)
{
	if (e->err) {
		if (e->b->len > e->start) {
			e->b->len = e->start;
			if (e->b->data)
				e->b->data[e->b->len] = '\0';
		}
		return e->err;
	}
	le16((unsigned char *)e->b->data + e->start + 6, (uint16_t)e->nfields);
	return 0;
}

/* ---- decoding ------------------------------------------------------------------------------ */

/* The items of a STRV field must fill its bytes exactly. */
static int strv_scan(const unsigned char *p, size_t len, size_t *ret_n)
{
	if (len < 4)
		return -EPROTO;
	uint32_t n = rd32(p);
	size_t off = 4;
	for (uint32_t i = 0; i < n; i++) {
		if (len - off < 4)
			return -EPROTO;
		uint32_t l = rd32(p + off);
		off += 4;
		if (l > len - off)
			return -EPROTO;
		off += l;
	}
	if (off != len)
		return -EPROTO;
	*ret_n = n;
	return 0;
}

int agent_msg_decode(const void *data, size_t len, struct agent_msg *ret)
{
	const unsigned char *p = data;
	struct agent_msg m = { 0 };
	uint64_t seen[4] = { 0 };
	if (!p || len < AGENT_MSG_HEADER || rd32(p) != AGENT_MSG_MAGIC)
		return -EPROTO;
	m.type = rd16(p + 4);
	m.nfields = rd16(p + 6);
	if (m.nfields > AGENT_MSG_FIELDS_MAX)
		return -EPROTO;
	size_t off = AGENT_MSG_HEADER;
	for (size_t i = 0; i < m.nfields; i++) {
		struct agent_field *f = &m.f[i];
		if (len - off < 8 || rd16(p + off + 2) != 0)
			return -EPROTO;
		f->tag = p[off];
		f->kind = p[off + 1];
		f->len = rd32(p + off + 4);
		off += 8;
		if (f->len > len - off || (seen[f->tag / 64] & (1ull << (f->tag % 64))))
			return -EPROTO;
		seen[f->tag / 64] |= 1ull << (f->tag % 64);
		f->str = (const char *)p + off;
		if (f->kind == AGENT_K_INT) {
			if (f->len != 8)
				return -EPROTO;
			uint64_t v = 0;
			for (int k = 0; k < 8; k++)
				v |= (uint64_t)p[off + (size_t)k] << (8 * k);
			f->i = (int64_t)v;
		} else if (f->kind == AGENT_K_STRV) {
			if (strv_scan(p + off, f->len, &f->n) < 0)
				return -EPROTO;
		} else if (f->kind != AGENT_K_STR) {
			return -EPROTO;
		}
		off += f->len;
	}
	if (off != len)
		return -EPROTO;
	*ret = m;
	return 0;
}

const struct agent_field *agent_msg_get(const struct agent_msg *m, uint8_t tag, uint8_t kind)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (m->f[i].tag == tag)
			return m->f[i].kind == kind ? &m->f[i] : NULL;
	return NULL;
}

int64_t agent_msg_int(const struct agent_msg *m, uint8_t tag, int64_t def)
{
	const struct agent_field *f = agent_msg_get(m, tag, AGENT_K_INT);
	return f ? f->i : def;
}

const char *agent_msg_cstr(const struct agent_msg *m, uint8_t tag, char *out, size_t size)
{
	const struct agent_field *f = agent_msg_get(m, tag, AGENT_K_STR);
	if (!f || f->len >= size || memchr(f->str, '\0', f->len))
		return NULL;
	memcpy(out, f->str, f->len);
	out[f->len] = '\0';
	return out;
}

int agent_msg_strv(const struct agent_msg *m, uint8_t tag, size_t max, char ***ret)
{
	const struct agent_field *f = agent_msg_get(m, tag, AGENT_K_STRV);
	char **v = NULL;
	*ret = NULL;
	if (!f)
		return 0;
	if (f->n > max)
		return -E2BIG;
	const unsigned char *p = (const unsigned char *)f->str + 4;
	for (size_t i = 0; i < f->n; i++) {
		uint32_t l = rd32(p);
		if (memchr(p + 4, '\0', l)) {
			strv_free(v);
			return -EPROTO;
		}
		char *s = strndup((const char *)p + 4, l);
		if (!s || strv_push(&v, s) < 0) {
			free(s);
			strv_free(v);
			return -ENOMEM;
		}
		free(s);
		p += 4 + l;
	}
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM; /* present but empty: an empty vector, not "absent" */
	*ret = v;
	return 0;
}

/* ---- the socket ---------------------------------------------------------------------------- */

int agent_send(int fd, const struct buf *b, const int *fds, size_t nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * AGENT_FDS_MAX)];
	struct iovec iov = { .iov_base = b->data, .iov_len = b->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > AGENT_FDS_MAX)
		return -E2BIG;
	if (nfds) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == b->len ? 0 : -EMSGSIZE;
		if (errno != EINTR)
			return -errno;
	}
}

/* Take the descriptors of the control data; anything else there is a protocol error (and the
 * descriptors it carried are closed). */
static int take_fds(struct msghdr *mh, int *fds, size_t *ret_nfds)
{
	size_t n = 0;
	int e = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			e = -EPROTO;
			continue;
		}
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < AGENT_FDS_MAX)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	if (e < 0) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		n = 0;
	}
	*ret_nfds = n;
	return e;
}

int agent_recv(int fd, struct buf *b, int *fds, size_t *ret_nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * AGENT_FDS_MAX)];
	int none[AGENT_FDS_MAX];
	*ret_nfds = 0;
	if (b->cap < AGENT_DGRAM_MAX + 1) {
		char *p = realloc(b->data, AGENT_DGRAM_MAX + 1);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = AGENT_DGRAM_MAX + 1;
	}
	buf_reset(b);
	struct iovec iov = { .iov_base = b->data, .iov_len = AGENT_DGRAM_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
	};
	ssize_t n = fd_recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return (int)n;
	size_t nfds = 0;
	int *into = fds ? fds : none;
	int e = take_fds(&mh, into, &nfds);
	if (e == 0 && ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (!fds && nfds)))
		e = -EPROTO; /* cut short, or descriptors where none belong */
	if (e < 0) {
		for (size_t i = 0; i < nfds; i++)
			close(into[i]);
		return e;
	}
	if (n == 0 && nfds == 0)
		return -ENODATA;
	b->len = (size_t)n;
	b->data[b->len] = '\0';
	*ret_nfds = nfds;
	return 0;
}

/* ---- info -------------------------------------------------------------------------------- */

void agent_info_encode(struct agent_enc *e, const struct agent_info *in)
{
	agent_enc_int(e, AGENT_T_PID, in->pid);
	agent_enc_int(e, AGENT_T_SCOPE, in->scope);
	agent_enc_int(e, AGENT_T_STARTED, in->started);
	agent_enc_int(e, AGENT_T_EXPIRES, in->expires);
	agent_enc_int(e, AGENT_T_FULL_UNTIL, in->full_until);
	agent_enc_int(e, AGENT_T_IDLE_S, in->idle_s);
	agent_enc_int(e, AGENT_T_IDLE_AT, in->idle_at);
	agent_enc_int(e, AGENT_T_SERVING, in->serving);
	agent_enc_int(e, AGENT_T_PENDING, in->pending);
	agent_enc_int(e, AGENT_T_GRANTS, in->grants);
	agent_enc_cstr(e, AGENT_T_VAULT, in->vault_dir);
	agent_enc_cstr(e, AGENT_T_SOCKET, in->socket);
	agent_enc_cstr(e, AGENT_T_POLICY, in->policy);
	agent_enc_int(e, AGENT_T_POLICY_LOADED, in->policy_loaded);
	agent_enc_int(e, AGENT_T_POLICY_CHANGED, in->policy_changed);
	agent_enc_cstr(e, AGENT_T_VERSION, SECRETCTL_VERSION);
}

void agent_info_decode(const struct agent_msg *m, struct agent_info *out)
{
	memset(out, 0, sizeof(*out));
	out->pid = (pid_t)agent_msg_int(m, AGENT_T_PID, 0);
	int64_t s = agent_msg_int(m, AGENT_T_SCOPE, AGENT_SCOPE_AGENT);
	out->scope = s == AGENT_SCOPE_FULL ? AGENT_SCOPE_FULL : AGENT_SCOPE_AGENT;
	out->started = agent_msg_int(m, AGENT_T_STARTED, 0);
	out->expires = agent_msg_int(m, AGENT_T_EXPIRES, 0);
	out->full_until = agent_msg_int(m, AGENT_T_FULL_UNTIL, 0);
	out->idle_s = agent_msg_int(m, AGENT_T_IDLE_S, 0);
	out->idle_at = agent_msg_int(m, AGENT_T_IDLE_AT, 0);
	out->serving = (unsigned)agent_msg_int(m, AGENT_T_SERVING, 0);
	out->pending = (unsigned)agent_msg_int(m, AGENT_T_PENDING, 0);
	out->grants = (unsigned)agent_msg_int(m, AGENT_T_GRANTS, 0);
	if (!agent_msg_cstr(m, AGENT_T_VAULT, out->vault_dir, sizeof(out->vault_dir)))
		out->vault_dir[0] = '\0';
	if (!agent_msg_cstr(m, AGENT_T_SOCKET, out->socket, sizeof(out->socket)))
		out->socket[0] = '\0';
	if (!agent_msg_cstr(m, AGENT_T_POLICY, out->policy, sizeof(out->policy)))
		out->policy[0] = '\0';
	out->policy_loaded = agent_msg_int(m, AGENT_T_POLICY_LOADED, 0) != 0;
	out->policy_changed = agent_msg_int(m, AGENT_T_POLICY_CHANGED, 0) != 0;
}
