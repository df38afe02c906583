#include "vmm/serial_out.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int serial_out_open(struct serial_out *s, const struct serial_config *c, struct azerr *e)
{
	const struct rate_limiter bytes = { .has_bandwidth = c->has_limit, .bandwidth = c->limit };

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	rl_init(&s->rl, &bytes, rl_now());
	s->limited = rl_active(&s->rl);
	if (c->out_path &&
	    (s->fd = open(c->out_path, O_RDWR | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC,
			  0666)) < 0)
		return azerr_set(e, "serial_out_path %s: %s", c->out_path, strerror(errno));
	return 0;
}

bool serial_out_allow(void *ctx)
{
	struct serial_out *s = ctx;
	uint64_t wait;

	if (!s->limited || rl_reduce(&s->rl, 1, 0, rl_now(), &wait))
		return true;
	s->dropped++;
	return false;
}

void serial_out_close(struct serial_out *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
