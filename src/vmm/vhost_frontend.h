/* The front-end (hypervisor) side of vhost-user: what azote uses to drive
 * a card, or any vhost-user back-end (qemu-storage-daemon, SPDK, ...).
 *
 * Typical life of a device (virtio-pci transport in azote):
 *
 *   vu_fe_connect(&fe, path, 5000, &e)  or  vu_fe_attach(&fe, sock, ...)
 *   vu_fe_negotiate(&fe, VU_FE_PROTOCOL_FEATURES, &e)
 *       -> fe.features: what the device offers (expose to the guest,
 *          minus VHOST_USER_F_PROTOCOL_FEATURES which is stripped)
 *   vu_fe_get_queue_num / vu_fe_get_config     (config space reads)
 *   ... guest sets FEATURES_OK, queues, DRIVER_OK ...
 *   vu_fe_set_features(&fe, guest_features, &e)
 *   vu_fe_set_mem_table(&fe, regions, n, &e)   (all RAM regions)
 *   vu_fe_set_log_base(&fe, fd, size, &e)      (tracking dirty pages: the
 *                                               features then carry
 *                                               VHOST_F_LOG_ALL, each ring
 *                                               its used ring's GPA)
 *   vu_fe_vring_start(&fe, i, &ring, &e)       (each enabled queue)
 *   ... data path: guest -> kickfd (KVM ioeventfd) -> card;
 *                  card -> callfd (KVM irqfd) -> guest ...
 *   vu_fe_vring_stop(&fe, i, &base, &e)        (device reset: every queue)
 *   vu_fe_reset(&fe, &e)
 *   vu_fe_close(&fe)
 *
 * Addresses: memory regions carry the caller's address of each region
 * (uva) and vring addresses are in the same space; the back-end only
 * translates both through the memory table, so the caller chooses the
 * space (QEMU passes its own virtual addresses; azote guest physical ones
 * moved by a constant, vhost_dev.c).
 *
 * Every call that expects an answer waits at most timeout_ms: a dead or
 * silent back-end yields an error naming the socket and the message, never
 * a hang. When REPLY_ACK is negotiated every request is acknowledged, so
 * refusals are reported by the call that caused them. Watch vu_fe_fd() for
 * POLLHUP to learn that the back-end died between calls.
 *
 * Not thread-safe: one thread drives one front-end. fds passed in stay the
 * caller's (they are sent as copies). */
#ifndef AZOTE_VMM_VHOST_FRONTEND_H
#define AZOTE_VMM_VHOST_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "vhost/protocol.h"

/* Protocol features this front-end can use; pass (a subset) to
 * vu_fe_negotiate. */
#define VU_FE_PROTOCOL_FEATURES \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

struct vu_frontend {
	int sock;
	char name[112];             /* socket path or caller's name */
	int timeout_ms;
	uint64_t until_us;          /* vu_fe_begin's end (CLOCK_MONOTONIC); 0: none */
	uint64_t features;          /* offered by the back-end, without bits 30
				     * and 26: what a guest may see */
	bool has_protocol_features; /* VHOST_USER_F_PROTOCOL_FEATURES offered */
	bool can_log;               /* VHOST_F_LOG_ALL offered */
	uint64_t protocol_features; /* negotiated */
	bool owned;                 /* SET_OWNER sent, no RESET_OWNER since */
	bool lost;                  /* out of step: nothing more is sent */
};

struct vu_fe_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;               /* caller's address of gpa (see above) */
	int fd;                     /* memfd (or any mappable fd) holding it */
	uint64_t fd_offset;         /* where gpa starts in fd */
};

struct vu_fe_vring {
	unsigned num;               /* queue size (power of 2) */
	uint64_t desc, avail, used; /* caller's addresses (as the regions' uva) */
	uint16_t base;              /* first avail index (0 after a reset) */
	int kickfd;                 /* eventfd the driver's notify signals */
	int callfd;                 /* eventfd the back-end signals; -1: none */
	bool log;                   /* the back-end logs its used ring writes */
	uint64_t log_gpa;           /* at this guest address (the used ring's) */
};

/* Connects to a back-end listening on path. */
int vu_fe_connect(struct vu_frontend *fe, const char *path, int timeout_ms,
		  struct azerr *e);
/* Uses an already connected socket (e.g. one end of a socketpair whose
 * other end a card inherited); takes ownership of sock. */
int vu_fe_attach(struct vu_frontend *fe, int sock, const char *name,
		 int timeout_ms, struct azerr *e);

/* Bounds how long the requests from now to vu_fe_end may wait for answers,
 * all together, to ms: a back-end that answers each request just before
 * its own timeout cannot stretch a sequence of them (a device's start or
 * stop sends a dozen and more, under the device's lock, while a pause or
 * the VM's end waits) to minutes. A request whose turn comes after the
 * end still goes, and fails unless its answer is there at once (the
 * connection is then lost, so the rest fail at once too). */
void vu_fe_begin(struct vu_frontend *fe, int ms);
void vu_fe_end(struct vu_frontend *fe);

/* SET_OWNER (unless the back-end still has its owner), GET_FEATURES, then
 * protocol features: offers want & what the back-end has. Fills
 * fe->features and fe->protocol_features. */
int vu_fe_negotiate(struct vu_frontend *fe, uint64_t want, struct azerr *e);

/* SET_FEATURES with the driver's choice (must be within fe->features),
 * with VHOST_F_LOG_ALL added when the back-end is to log its writes (only
 * if fe->can_log). */
int vu_fe_set_features(struct vu_frontend *fe, uint64_t features, struct azerr *e);

/* Queues the back-end supports: GET_QUEUE_NUM with MQ, else 1. */
int vu_fe_get_queue_num(struct vu_frontend *fe, unsigned *n, struct azerr *e);

/* Device config space (needs the CONFIG protocol feature); len <= 256. */
int vu_fe_get_config(struct vu_frontend *fe, uint32_t off, void *buf, uint32_t len,
		     struct azerr *e);
int vu_fe_set_config(struct vu_frontend *fe, uint32_t off, const void *buf,
		     uint32_t len, struct azerr *e);

/* SET_MEM_TABLE with n (1..8) regions. */
int vu_fe_set_mem_table(struct vu_frontend *fe, const struct vu_fe_region *r,
			unsigned n, struct azerr *e);

/* SET_LOG_BASE: the dirty log the back-end sets bits in, size bytes at
 * offset 0 of fd (needs the LOG_SHMFD protocol feature). The back-end's
 * answer is awaited: a refusal fails the call. */
int vu_fe_set_log_base(struct vu_frontend *fe, int fd, uint64_t size, struct azerr *e);

/* Sets up and starts ring idx: NUM, BASE, ADDR, CALL, KICK, ENABLE 1, and
 * one kick so that back-ends waiting for a first kick start too. */
int vu_fe_vring_start(struct vu_frontend *fe, unsigned idx,
		      const struct vu_fe_vring *v, struct azerr *e);

/* Stops ring idx (ENABLE 0, GET_VRING_BASE): when it returns the back-end
 * has finished with the ring; *base is the next avail index. */
int vu_fe_vring_stop(struct vu_frontend *fe, unsigned idx, uint16_t *base,
		     struct azerr *e);

/* Device reset: RESET_DEVICE when negotiated, else RESET_OWNER. Stop the
 * rings first. Negotiation must be done again afterwards (without
 * SET_OWNER after RESET_DEVICE, through which the back-end keeps its
 * owner: one may refuse a second claim). */
int vu_fe_reset(struct vu_frontend *fe, struct azerr *e);

/* The socket, for poll(): POLLHUP/POLLERR mean the back-end is gone. */
int vu_fe_fd(const struct vu_frontend *fe);

void vu_fe_close(struct vu_frontend *fe);

#endif
