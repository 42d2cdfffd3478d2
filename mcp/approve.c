/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the broker's approval hook (docs/mcp.md "Approvals"). A run the policy wants approved is
 * asked about through the client when it declares elicitation (and the policy's
 * approval_channel allows it): in the 2025 handshake era by an elicitation/create request the
 * front sends (ELICIT, answered by ANSWER), in the 2026-07-28 era by an input_required result
 * whose requestState is an authenticated token bound to this run, checked when the client
 * repeats the call with its answer. Otherwise the session agent asks (secretctl approve). */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "mcp/mcp-server.h"
#include "mcp/mcp.h"

#define QUESTION_MAX (64u << 10) /* bytes of the text a client shows the person */
#define STATE_VERSION 1
#define NONCE_BYTES 16
/* version, nonce, expiry (8 bytes), MAC */
#define STATE_BYTES (1 + NONCE_BYTES + 8 + crypto_auth_BYTES)

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mcp_approver_init(struct mcp_approver *a, struct broker *b, struct agent_child *agent)
{
	*a = (struct mcp_approver){
		.b = b, .agent = agent, .front = -1, .sigfd = -1, .message = BUF_INIT
	};
	if (sodium_init() < 0)
		return -EIO;
	crypto_auth_keygen(a->key);
	return 0;
}

void mcp_approver_release(struct mcp_approver *a)
{
	sodium_memzero(a->key, sizeof(a->key));
	for (size_t i = 0; i < a->nallowed; i++)
		free(a->allowed[i]);
	a->nallowed = 0;
	buf_release(&a->message);
}

/* ---- what is asked --------------------------------------------------------------------------- */

/* The question, as text: the exact argv (quoted and escaped as `secretctl approvals` shows
 * it), the program, the key names, the sandbox, the rule that asks. Never a value: nothing is
 * decrypted yet. */
static int question(const struct broker_approval *ask, struct buf *out)
{
	struct outbuf o;
	buf_reset(out);
	outbuf_init_buf(&o, out);
	outbuf_puts(&o, "secretctl: allow this command to run with these secrets?\ncommand: ");
	for (size_t i = 0; ask->argv && ask->argv[i]; i++) {
		if (i)
			outbuf_puts(&o, " ");
		outbuf_shell_word(&o, ask->argv[i]);
	}
	outbuf_puts(&o, "\nprogram: ");
	outbuf_escaped(&o, ask->program, strlen(ask->program));
	outbuf_puts(&o, "\nkeys: ");
	for (size_t i = 0; ask->keys && ask->keys[i]; i++) {
		outbuf_puts(&o, i ? ", " : "");
		outbuf_escaped(&o, ask->keys[i], strlen(ask->keys[i]));
	}
	outbuf_puts(&o, "\nsandbox: ");
	outbuf_escaped(&o, ask->profile, strlen(ask->profile));
	outbuf_printf(&o, ", network %s\nasked by: ", ask->deny_network ? "denied" : "allowed");
	outbuf_escaped(&o, ask->why, strlen(ask->why));
	outbuf_puts(&o, "\nThe values stay in the vault: the command gets them, you and the agent "
			"do not.");
	int e = outbuf_finish(&o);
	/* Never a cut command: the person must see all of it, or nothing runs. */
	return e == 0 && out->len > QUESTION_MAX ? -E2BIG : e;
}

/* A question that could not be made. */
static int unaskable(int e, struct reterr *err)
{
	if (e == -E2BIG)
		return reterr_set(err, -EACCES,
				  "not approved: the command is too long to show the person (the "
				  "question may hold at most %u KiB)",
				  QUESTION_MAX >> 10);
	return e;
}

/* What "allow for this session" covers, as the agent keeps it: the program, the keys and the
 * sandbox, not the arguments. */
static char *subject(const struct broker_approval *ask)
{
	AUTO_BUF struct buf b = BUF_INIT;
	if (buf_printf(&b, "%zu:%s", strlen(ask->program), ask->program) < 0)
		return NULL;
	for (size_t i = 0; ask->keys && ask->keys[i]; i++)
		if (buf_printf(&b, "|%zu:%s", strlen(ask->keys[i]), ask->keys[i]) < 0)
			return NULL;
	if (buf_printf(&b, "|%s|net=%d", ask->profile, ask->deny_network) < 0)
		return NULL;
	return buf_detach(&b);
}

static bool remembered(const struct mcp_approver *a, const struct broker_approval *ask)
{
	if (ask->level >= POLICY_APPROVAL_ALWAYS)
		return false;
	AUTO_FREE char *what = subject(ask);
	for (size_t i = 0; what && i < a->nallowed; i++)
		if (!strcmp(a->allowed[i], what))
			return true;
	return false;
}

static void remember(struct mcp_approver *a, const struct broker_approval *ask)
{
	if (ask->level >= POLICY_APPROVAL_ALWAYS || remembered(a, ask))
		return; /* every run asks, or kept already */
	char *what = subject(ask);
	if (!what)
		return;
	if (a->nallowed < MCP_ALLOWED_MAX) {
		a->allowed[a->nallowed++] = what;
		return;
	}
	size_t i = a->next_allowed++ % MCP_ALLOWED_MAX; /* the oldest goes */
	free(a->allowed[i]);
	a->allowed[i] = what;
}

/* The client's answer: action (accept, decline, cancel, error) and the chosen decision. */
static int decide(struct mcp_approver *a, const struct broker_approval *ask, const char *action,
		  const char *decision, struct reterr *err)
{
	if (!strcmp(action, "accept")) {
		if (!strcmp(decision, "allow_once"))
			return BROKER_APPROVED_CLIENT;
		if (!strcmp(decision, "allow_session")) {
			remember(a, ask);
			return BROKER_APPROVED_CLIENT;
		}
		if (!strcmp(decision, "deny"))
			return reterr_set(err, -EACCES,
					  "not approved: denied by the person through the MCP "
					  "client (elicitation)");
		return reterr_set(err, -EACCES,
				  "not approved: the MCP client's answer held no valid decision "
				  "(allow_once, allow_session or deny)");
	}
	if (!strcmp(action, "decline"))
		return reterr_set(err, -EACCES,
				  "not approved: declined by the person through the MCP client "
				  "(elicitation)");
	if (!strcmp(action, "cancel"))
		return reterr_set(err, -EACCES,
				  "not approved: the question was dismissed in the MCP client "
				  "(elicitation cancelled)");
	return reterr_set(err, -EACCES,
			  "not approved: the MCP client could not ask (its elicitation failed or "
			  "answered something unusable)");
}

/* ---- 2025: elicitation/create through the front ------------------------------------------- */

/* The front's next message for this call among those buffered: ANSWER (action/decision) or
 * CANCEL. Both are removed from in; other messages stay, in order, for the loop. 1 found, 0
 * not yet, -EPROTO. */
static int take_answer(struct mcp_approver *a, uint64_t id, char *action, size_t asize,
		       char *decision, size_t dsize)
{
	size_t off = 0;
	while (off < a->in->len) {
		ssize_t need = mcp_wire_frame_len(a->in->data + off, a->in->len - off);
		if (need < 0)
			return (int)need;
		if (need == 0 || (size_t)need > a->in->len - off)
			return 0;
		struct mcp_wire_msg m;
		if (mcp_wire_decode(a->in->data + off, (size_t)need, &m) < 0)
			return -EPROTO;
		bool mine = m.id == id && (m.type == MCP_W_ANSWER || m.type == MCP_W_CANCEL);
		if (mine) {
			int bad = 0;
			snprintf(action, asize, "%s", m.type == MCP_W_CANCEL ? "cancelled" : "");
			if (m.type == MCP_W_ANSWER &&
			    (!mcp_field_str(&m, "action", action, asize, &bad) || bad))
				snprintf(action, asize, "error");
			bad = 0;
			if (!mcp_field_str(&m, "decision", decision, dsize, &bad) || bad)
				decision[0] = '\0';
			memmove(a->in->data + off, a->in->data + off + (size_t)need,
				a->in->len - off - (size_t)need);
			a->in->len -= (size_t)need;
			return 1;
		}
		off += (size_t)need;
	}
	return 0;
}

static int ask_front(struct mcp_approver *a, const struct broker_approval *ask, struct reterr *err)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	char action[16], decision[32];
	uint64_t id = a->call->id;
	int e = question(ask, &a->message);
	if (e < 0)
		return unaskable(e, err);
	mcp_wire_begin(&enc, &out, MCP_W_ELICIT, id);
	mcp_wire_str(&enc, "message", a->message.data, a->message.len);
	mcp_wire_int(&enc, "timeout", ask->timeout_ms);
	if ((e = mcp_wire_end(&enc)) < 0 || (e = mcp_wire_send(a->front, &out)) < 0)
		return reterr_set(err, -EACCES, "not approved: the question could not be sent (%s)",
				  strerror(-e));
	int64_t end = mono_ms() + ask->timeout_ms;
	for (;;) {
		int r = take_answer(a, id, action, sizeof(action), decision, sizeof(decision));
		if (r < 0)
			return r;
		if (r == 1 && !strcmp(action, "cancelled"))
			return reterr_set(err, -EACCES, "not approved: the call was cancelled");
		if (r == 1)
			return decide(a, ask, action, decision, err);
		int64_t left = end - mono_ms();
		if (left <= 0)
			return reterr_set(err, -EACCES,
					  "not approved: no answer through the MCP client within "
					  "the approval timeout (%lld s)",
					  (long long)(ask->timeout_ms / 1000));
		struct pollfd p[2] = { { .fd = a->front, .events = POLLIN },
				       { .fd = a->sigfd, .events = POLLIN } };
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && p[1].revents) /* left for the loop to read: it stops the server */
			return reterr_set(err, -EACCES, "not approved: the server is stopping");
		if (n <= 0 || !p[0].revents)
			continue;
		char tmp[65536];
		ssize_t got = fd_read(a->front, tmp, sizeof(tmp));
		if (got == 0 || (got < 0 && got != -EAGAIN && got != -EINTR))
			return reterr_set(err, -EACCES,
					  "not approved: the MCP client went away before it "
					  "answered");
		if (got > 0 && a->in->len + (size_t)got > 2 * (size_t)MCP_WIRE_MAX)
			return -E2BIG;
		if (got > 0 && buf_append(a->in, tmp, (size_t)got) < 0)
			return -ENOMEM;
	}
}

/* ---- 2026-07-28: input_required and an authenticated requestState ------------------------- */

static void mac_input(unsigned char *p, const unsigned char nonce[NONCE_BYTES], int64_t expiry)
{
	p[0] = STATE_VERSION;
	memcpy(p + 1, nonce, NONCE_BYTES);
	for (int i = 0; i < 8; i++)
		p[1 + NONCE_BYTES + i] = (unsigned char)((uint64_t)expiry >> (56 - 8 * i));
}

/* MAC over version, nonce, expiry and the run's digest (which is not in the token: a state
 * issued for one run does not verify for another). */
static void state_mac(const struct mcp_approver *a, const unsigned char *head,
		      const unsigned char run_hash[BROKER_RUN_HASH_BYTES],
		      unsigned char mac[crypto_auth_BYTES])
{
	unsigned char msg[1 + NONCE_BYTES + 8 + BROKER_RUN_HASH_BYTES];
	memcpy(msg, head, 1 + NONCE_BYTES + 8);
	memcpy(msg + 1 + NONCE_BYTES + 8, run_hash, BROKER_RUN_HASH_BYTES);
	crypto_auth(mac, msg, sizeof(msg), a->key);
}

static int issue(struct mcp_approver *a, const struct broker_approval *ask, struct reterr *err)
{
	unsigned char tok[STATE_BYTES], nonce[NONCE_BYTES];
	int e = question(ask, &a->message);
	if (e < 0)
		return unaskable(e, err);
	randombytes_buf(nonce, sizeof(nonce));
	mac_input(tok, nonce, mono_ms() + ask->timeout_ms);
	state_mac(a, tok, ask->run_hash, tok + 1 + NONCE_BYTES + 8);
	sodium_bin2base64(a->state, sizeof(a->state), tok, sizeof(tok),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	a->input_required = true;
	return reterr_set(err, -EAGAIN, "the approval question went back to the client");
}

/* Was this nonce answered before (while its state lives)? Forget expired ones. */
static bool used(struct mcp_approver *a, const unsigned char *nonce, int64_t now)
{
	size_t n = 0;
	bool seen = false;
	for (size_t i = 0; i < a->nused; i++) {
		if (a->used[i].expiry <= now)
			continue;
		seen |= sodium_memcmp(a->used[i].nonce, nonce, NONCE_BYTES) == 0;
		a->used[n++] = a->used[i];
	}
	a->nused = n;
	return seen;
}

#define STATE_REFUSED "not approved: the requestState "

static int verify(struct mcp_approver *a, const struct broker_approval *ask, const char *state,
		  struct reterr *err)
{
	unsigned char tok[STATE_BYTES + 1], mac[crypto_auth_BYTES];
	size_t n = 0;
	int64_t now = mono_ms(), expiry = 0;
	if (sodium_base642bin(tok, sizeof(tok), state, strlen(state), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) < 0 ||
	    n != STATE_BYTES || tok[0] != STATE_VERSION)
		return reterr_set(err, -EACCES,
				  STATE_REFUSED "is not one this server issued; call again "
						"without it to be asked");
	state_mac(a, tok, ask->run_hash, mac);
	if (sodium_memcmp(mac, tok + 1 + NONCE_BYTES + 8, sizeof(mac)) != 0)
		return reterr_set(err, -EACCES,
				  STATE_REFUSED "does not match this run (altered, or issued for "
						"another command, keys or sandbox); call again "
						"without it to be asked");
	for (int i = 0; i < 8; i++)
		expiry = (int64_t)((uint64_t)expiry << 8 | tok[1 + NONCE_BYTES + i]);
	if (expiry <= now)
		return reterr_set(err, -EACCES,
				  STATE_REFUSED "has expired (approval_timeout); call again "
						"without it to be asked");
	if (used(a, tok + 1, now))
		return reterr_set(err, -EACCES,
				  STATE_REFUSED "was answered already (each is good for one "
						"answer); call again without it to be asked");
	if (a->nused == MCP_STATES_USED_MAX)
		return reterr_set(err, -EACCES,
				  "not approved: too many approvals answered within the approval "
				  "timeout; wait and call again");
	memcpy(a->used[a->nused].nonce, tok + 1, NONCE_BYTES);
	a->used[a->nused++].expiry = expiry;
	return 0;
}

static int answer_modern(struct mcp_approver *a, const struct broker_approval *ask,
			 struct reterr *err)
{
	char state[MCP_REQUEST_STATE_MAX + 1], action[16], decision[32];
	int bad = 0;
	bool have_state = mcp_field_str(a->call, "request_state", state, sizeof(state), &bad);
	bool have_answer = mcp_field_str(a->call, "approval_action", action, sizeof(action), &bad);
	if (!mcp_field_str(a->call, "approval_decision", decision, sizeof(decision), &bad))
		decision[0] = '\0';
	if (bad)
		return reterr_set(err, -EACCES,
				  "not approved: the requestState or the answer is too long");
	if (!have_state && !have_answer)
		return issue(a, ask, err);
	if (!have_state)
		return reterr_set(err, -EACCES,
				  "not approved: an answer (inputResponses.approval) without the "
				  "requestState it answers");
	int e = verify(a, ask, state, err);
	if (e < 0)
		return e;
	if (!have_answer)
		return reterr_set(err, -EACCES,
				  "not approved: no answer to the approval question "
				  "(inputResponses.approval is missing)");
	return decide(a, ask, action, decision, err);
}

/* ---- the hook ------------------------------------------------------------------------------- */

int mcp_approve(void *ctx, const struct broker_approval *ask, struct reterr *err)
{
	struct mcp_approver *a = ctx;
	const struct mcp_wire_field *f =
		a->call ? mcp_wire_get(a->call, "elicitation", MCP_WK_INT) : NULL;
	int64_t how = f ? f->i : MCP_ELICIT_NONE;
	/* A grant lives in the agent; approval_channel: agent keeps every answer behind the
	 * master password (a same-uid process can start a server of its own whose client
	 * answers "allow" itself). */
	if (ask->require_grant || how == MCP_ELICIT_NONE ||
	    policy_approval_channel(broker_policy(a->b)) == POLICY_CHANNEL_AGENT)
		return a->agent ? agent_child_approve(a->agent, ask, err) : -ENOSYS;
	/* A live grant (or an earlier `approve --session`) in the agent spares the question. */
	if (a->agent) {
		int r = agent_child_covered(a->agent, ask, err);
		if (r != -EACCES)
			return r;
		*err = (struct reterr)RETERR_INIT;
	}
	if (remembered(a, ask))
		return BROKER_APPROVED_CLIENT;
	if (how == MCP_ELICIT_FORM)
		return ask_front(a, ask, err);
	if (how == MCP_ELICIT_INPUT)
		return answer_modern(a, ask, err);
	return reterr_set(err, -EACCES, "not approved: an unknown way to ask");
}
