/* azote-card-pmem: the request ring of a virtio-pmem device as a
 * sandboxed vhost-user back-end, serving Firecracker's pmem device.
 *
 *   azote-card-pmem (--socket PATH | --fd N) --file PATH [--ro]
 *                   [--bw-limit BUCKET] [--ops-limit BUCKET]
 *                   [--seccomp kill|log|off] [--stats-fd N]
 *                   [--control-fd N] [--user UID[:GID]]
 *
 * It serves the backing file's flushes only: the guest reads and writes
 * the file's bytes through azote's mapping of it, which the card never
 * makes. It opens the file itself before it confines itself (azote maps
 * its own), then only flushes it. The start-up is every card's
 * (card_main.c); the device, a ring served by one worker under the
 * card's limiter, cards/limited_ring.h's; the requests, request.h's. */
#include <stdio.h>
#include <sys/syscall.h>

#include "cards/card_main.h"
#include "cards/limited_ring.h"
#include "cards/pmem/file.h"
#include "cards/pmem/opts.h"
#include "cards/pmem/request.h"
#include "virtio/virtio_pmem.h"

struct pmem_card {
	struct pmem_opts o;
	struct pmem_file file;      /* open: the worker's from create on */
	struct limited_ring ring;   /* the device: its ring, worker and limiter */
	struct pmem_server srv;     /* what the worker serves the ring with */
	struct card_pmem_stats own_stats;  /* where counts go without a page */
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct pmem_card *c = card;

	*common = &c->o.card;
	return pmem_opts_parse(argc, argv, &c->o, e);
}

static int open_file(void *card, struct azerr *e)
{
	struct pmem_card *c = card;

	return pmem_file_open(&c->file, c->o.file, c->o.ro, e);
}

static void close_file(void *card)
{
	struct pmem_card *c = card;

	pmem_file_close(&c->file);
}

static enum limited_pass pass(void *srv, struct virtq *q, uint64_t *wait_ns)
{
	return pmem_serve(srv, q, wait_ns);
}

/* The device: virtio-pmem's requestq (virtio 1.3 §5.19). Its 16-byte
 * configuration (where the region is, how long) is azote's: the card
 * shows zeros, azote fills in its own copy, which the guest reads. A
 * pass takes PMEM_MAX_BATCH requests at most: a guest keeping the ring
 * full delays a stop by one flush of the file at most. */
static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct pmem_card *c = card;

	c->srv = (struct pmem_server){ .limit = &c->ring.limit, .fd = c->file.fd,
				       .size = c->file.size, .budget = PMEM_MAX_BATCH,
				       .stats = stats ? &stats->pmem : &c->own_stats };
	if (limited_ring_init(&c->ring, "pmem", &c->o.limit, pass, &c->srv,
			      VIRTIO_PMEM_CONFIG_SIZE, e))
		return NULL;
	return &c->ring.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct pmem_card *c = card;

	snprintf(buf, size, "flushes of %s (%llu bytes%s%s)", c->o.file,
		 (unsigned long long)c->file.size, c->o.ro ? ", read-only" : "",
		 c->ring.limit.on ? ", rate limited" : "");
}

/* Beyond the base list and every card's: the flush, and the limiter's
 * timer (its reads are the base list's read). The file is opened before
 * the filter: no open. */
static const int extra_syscalls[] = { SYS_fdatasync, SYS_timerfd_settime };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
};

static struct pmem_card card = { .file = { .fd = -1 } };
static const struct card_kind pmem_kind = {
	.name = "azote-card-pmem",
	.card = &card,
	.parse = parse,
	.usage = pmem_opts_usage,
	.filter = &filter,
	.open = open_file,
	.create = create,
	.describe = describe,
	.destroy = close_file,
	.limiters = { &card.ring.limit },
	.nr_limiters = 1,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &pmem_kind);
}
