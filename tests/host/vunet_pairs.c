/* vunet-drv's tests of the queue pairs in use (VQ_PAIRS_SET, §5.1.6.5.5)
 * across what azote does to a card around a snapshot: its rings stopped
 * and restarted, with SET_FEATURES again, by a snapshot's resume; the
 * rings handed to a new card, told the count over its control channel
 * (NET_PAIRS), by a restore; a device reset by the guest's driver. A pair
 * out of use has its TAP queue
 * detached, so the TAP steers no flow to it: flows sent from the TAP side
 * tell how many pairs the card counts in. (What a detached queue's fd
 * writes still reaches the TAP: a pair's transmit tells nothing.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drv_card.h"
#include "iface/card_control.h"
#include "vunet.h"
#include "virtio/virtio.h"

/* What the driver runs: each pair's receive and transmit rings, then the
 * control ring. Ring k of nr_rings, and its vring index in *idx. */
static unsigned nr_rings(const struct drv *d)
{
	return 2 * d->nr_pairs + d->has_ctrl;
}

static struct drv_vq *ring(struct drv *d, unsigned k, unsigned *idx)
{
	if (k == 2 * d->nr_pairs) {
		*idx = ctrl_vring(d);
		return &d->ctrl;
	}
	*idx = k;
	return k % 2 ? &d->pq[k / 2].tx : &d->pq[k / 2].rx;
}

static void need_pairs(const struct drv *d, const char *test)
{
	if (d->nr_pairs < 2 || !d->has_ctrl || d->log_fd >= 0)
		die(2, "%s needs --queues 2 or more (a control queue) and no --dirty-log", test);
}

static void set_pairs(struct drv *d, uint16_t pairs)
{
	check(d, ctrl_cmd(d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
			  sizeof(pairs)) == VIRTIO_NET_OK, "VQ_PAIRS_SET %u accepted", pairs);
}

/* Whether 128 flows sent from the TAP side all arrive, spread over want
 * pairs: the pairs in use. */
static bool flows_on(struct drv *d, unsigned want)
{
	unsigned per[MAX_PAIRS], used = 0, got = rx_spread(d, per);

	for (unsigned i = 0; i < d->nr_pairs; i++)
		used += per[i] > 0;
	printf("  %u of 128 flows arrived, on %u pairs\n", got, used);
	return got == 128 && used == want;
}

/* GET_VRING_BASE on every ring, as azote stops them for a snapshot: the
 * next avail index of each into base[]. */
static void stop_rings(struct drv *d, uint16_t *base)
{
	struct azerr e;
	unsigned idx;

	for (unsigned k = 0; k < nr_rings(d); k++) {
		ring(d, k, &idx);
		if (vu_fe_vring_stop(&d->fe, idx, &base[k], &e))
			die(EXIT_GONE, "%s", e.msg);
	}
}

/* The rings started again from base[] as azote's every start does them
 * (vhost_dev.c, start_rings): SET_FEATURES with the driver's features,
 * the memory table, then each ring. */
static void start_rings(struct drv *d, const uint16_t *base)
{
	struct azerr e;
	unsigned idx;

	if (vu_fe_set_features(&d->fe, d->features, &e) ||
	    drv_set_mem_table(&d->fe, &d->mem, &e))
		die(2, "%s", e.msg);
	for (unsigned k = 0; k < nr_rings(d); k++) {
		struct drv_vq *q = ring(d, k, &idx);
		vring_start(d, idx, q, base[k]);
	}
}

/* A snapshot's create, then resume: the rings stopped and started again
 * with the same features. The driver chose its pairs once and will not
 * again: they stay in use. */
void test_mq_resume(struct drv *d)
{
	uint16_t base[2 * MAX_PAIRS + 1];

	need_pairs(d, "mq-resume");
	set_pairs(d, (uint16_t)d->nr_pairs);
	check(d, flows_on(d, d->nr_pairs), "128 flows arrive spread over the %u pairs",
	      d->nr_pairs);
	stop_rings(d, base);
	start_rings(d, base);
	check(d, flows_on(d, d->nr_pairs), "after the rings' stop and restart (SET_FEATURES "
	      "again, as a snapshot's resume) the %u pairs are still in use", d->nr_pairs);
}

/* A device reset (RESET_DEVICE, as azote sends for the guest's): the next
 * driver starts with one pair. */
void test_mq_reset(struct drv *d)
{
	uint16_t base[2 * MAX_PAIRS + 1];
	struct azerr e;

	need_pairs(d, "mq-reset");
	set_pairs(d, (uint16_t)d->nr_pairs);
	stop_rings(d, base);
	if (vu_fe_reset(&d->fe, &e) || vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES, &e))
		die(EXIT_GONE, "%s", e.msg);
	start_rings(d, base);
	check(d, flows_on(d, 1), "after a device reset one pair is in use: every flow "
	      "arrives on pair 0");
	set_pairs(d, (uint16_t)d->nr_pairs);
	check(d, flows_on(d, d->nr_pairs), "VQ_PAIRS_SET %u puts them back in use",
	      d->nr_pairs);
}

/* NET_PAIRS with pairs (0 asks) and nr_fds copies of /dev/null: the
 * card's reply, its status 0 or the errno it refused with. */
static struct card_ctl_reply net_pairs(uint32_t pairs, unsigned nr_fds)
{
	struct card_ctl_req req = { .op = CARD_CTL_NET_PAIRS, .net_pairs = pairs };
	struct card_ctl_reply rep;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), fds[1] = { fd };
	struct azerr e;

	if (fd < 0 || card_ctl_call(drv_card_control(), &req, fds, nr_fds, &rep, &e))
		die(EXIT_GONE, "NET_PAIRS: %s", fd < 0 ? strerror(errno) : e.msg);
	close(fd);
	if (rep.status)
		printf("  NET_PAIRS %u refused: %s\n", pairs, rep.msg);
	return rep;
}

/* Lets the card go (it exits once the front-end hangs up, its TAP queues
 * closed with it) and starts another from card, negotiated, as a
 * restore's vm_create does. */
static void new_card(struct drv *d, char **card)
{
	struct azerr e;
	int sock, status;

	vu_fe_close(&d->fe);
	waitpid(d->card_pid, &status, 0);
	check(d, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the old card exits cleanly (status 0x%x)", status);
	d->card_pid = drv_spawn_card(card, &sock);
	if (vu_fe_attach(&d->fe, sock, "new card (socketpair)", d->timeout_ms, &e) ||
	    vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES, &e))
		die(2, "new card: %s", e.msg);
}

/* A snapshot's restore: the rings stopped in the old card, the new one
 * given them at their bases, then told the pairs the old one had in use,
 * before the guest runs again. Until then it serves one pair, as a card
 * for a new driver does. */
void test_mq_restore(struct drv *d, char **card)
{
	uint16_t base[2 * MAX_PAIRS + 1];
	const uint32_t n = d->nr_pairs;

	need_pairs(d, "mq-restore");
	if (!card || d->card_pid <= 0 || drv_card_control() < 0)
		die(2, "mq-restore needs the card's command line, with --control-fd {ctl}");
	set_pairs(d, (uint16_t)n);
	check(d, net_pairs(0, 0).net_pairs == n, "NET_PAIRS 0: the card says %u pairs are "
	      "in use", n);
	stop_rings(d, base);
	new_card(d, card);
	start_rings(d, base);
	check(d, net_pairs(0, 0).net_pairs == 1 && flows_on(d, 1),
	      "the new card, given the rings, has one pair in use");
	check(d, net_pairs(n, 0).net_pairs == n, "NET_PAIRS %u taken", n);
	check(d, flows_on(d, n), "after NET_PAIRS %u the flows spread over the %u pairs", n, n);
	check(d, net_pairs(d->max_pairs + 1, 0).status == EINVAL,
	      "NET_PAIRS %u, more than the card has, refused", d->max_pairs + 1);
	check(d, net_pairs(1, 1).status == EINVAL, "NET_PAIRS with an fd refused");
	check(d, net_pairs(0, 0).net_pairs == n, "the refusals changed nothing: %u pairs", n);
}
