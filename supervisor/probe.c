/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: kernel probing for `secretctl doctor`: run a profile's whole child setup and stop
 * before executing anything, so the answer is exactly what a real run would meet. */
#include <errno.h>
#include <string.h>

#include "supervisor/supervisor-internal.h"

int sup_probe(enum sup_profile p, bool deny_network, struct sup_result *ret)
{
	static char *const argv[] = { (char *)"/bin/true", NULL };
	struct sup_spec *spec = sup_spec_new(argv);
	struct reterr err = { { 0 }, 0, 0 };
	if (!spec)
		return -ENOMEM;
	struct sup_opts o = { .profile = p,
			      .deny_network = deny_network,
			      .io = SUP_IO_PIPE,
			      .stdin_fd = -1,
			      .timeout_ms = 10000 };
	int r = sup_spec_set_opts(spec, &o);
	if (r == 0) {
		spec->probe = true;
		r = sup_run(spec, NULL, ret, &err);
	}
	sup_spec_free(spec);
	if (r < 0)
		return r;
	return ret->failed ? -ret->stage_errno : 0;
}
