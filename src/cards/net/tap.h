/* The host side of the NIC: a TAP device, one queue (fd) per queue pair.
 *
 * The card attaches to a TAP that already exists and never creates one,
 * as Firecracker does with host_dev_name: the operator makes it (`ip
 * tuntap add dev NAME mode tap [user U] [multi_queue]`), addresses or
 * bridges it, and may let an unprivileged card use it through its owner.
 * A TAP the card created would vanish with the card and need
 * CAP_NET_ADMIN. Each queue is opened IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * plus IFF_MULTI_QUEUE when there are several (or the TAP was made so). */
#ifndef AZOTE_CARDS_NET_TAP_H
#define AZOTE_CARDS_NET_TAP_H

#include <net/if.h>
#include <stdbool.h>

#include "iface/card.h"
#include "cards/net/hdr.h"
#include "common/err.h"

#define NET_MAX_PAIRS CARD_NET_MAX_PAIRS
#define TAP_TUN_DEV   "/dev/net/tun"

struct tap {
	char name[IFNAMSIZ];
	unsigned nr;                /* queues open */
	int fd[NET_MAX_PAIRS];      /* non-blocking */
	bool multi_queue;           /* queues can be detached (TUNSETQUEUE) */
	unsigned mtu;               /* the interface's MTU when opened */
};

/* Attaches queues (1..NET_MAX_PAIRS) fds to the existing TAP called name,
 * opening them from tun_dev (TAP_TUN_DEV). Errors say what is wrong and
 * how to fix it: no such device, not a TAP, no permission, in use, a
 * multi_queue mismatch. Sets a 12-byte header and no offloads. */
int tap_open(struct tap *t, const char *tun_dev, const char *name,
	     unsigned queues, struct azerr *e);
void tap_close(struct tap *t);

/* The steps of tap_open that can fail on a system call, and the message
 * each failure (errno err) gets: exposed so that tests can check them. */
enum tap_step { TAP_LOOKUP, TAP_OPEN_DEV, TAP_ATTACH, TAP_CONFIG };
int tap_error(struct azerr *e, enum tap_step step, int err, const char *name,
	      const char *tun_dev, unsigned queues);

/* Header size (TUNSETVNETHDRSZ) and offloads (TUNSETOFFLOAD) for the
 * driver's features; they apply to the whole device. */
int tap_set_mode(const struct tap *t, const struct net_mode *m, struct azerr *e);
/* The TUN_F_* flags the driver's receive offloads allow. */
unsigned tap_offloads(const struct net_mode *m);

/* Attaches or detaches (multi_queue TAPs only) queue fd: a detached queue
 * gets no frames, the kernel steers them to the others. Returns -errno. */
int tap_queue_enable(int fd, bool on);

#endif
