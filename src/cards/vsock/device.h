/* The virtio-vsock device a vsock card presents over vhost-user (virtio
 * 1.2 §5.10): three rings (rx, tx, event), guest_cid in the config space,
 * and one worker thread, the muxer, which joins the guest's stream
 * connections to Unix sockets on the host the way Firecracker's vsock
 * does (docs/vsock.md there): a host program connects to the listener at
 * --uds and writes "CONNECT <port>\n", answered "OK <host port>\n" once
 * the guest accepted; a guest connecting to host port P is joined to the
 * Unix socket "<uds>_P". */
#ifndef AZOTE_CARDS_VSOCK_DEVICE_H
#define AZOTE_CARDS_VSOCK_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cards/vhost/backend.h"
#include "iface/card_stats.h"

#define VSOCK_RX_RING  0
#define VSOCK_TX_RING  1
#define VSOCK_EVT_RING 2
#define VSOCK_NR_RINGS 3
#define VSOCK_CONFIG_SIZE 8      /* guest_cid, le64 */

/* Connections at once, guest- and host-initiated together (each holds a
 * host socket, and at most VSOCK_CONN_BUF bytes): a guest or a host
 * program beyond it gets RST or a closed socket. */
#define VSOCK_MAX_CONNS 256
/* Host connections whose CONNECT line is not in yet, apart from those:
 * host programs that connect and say nothing cannot take the guest's
 * connections (each waits VSOCK_TIMEOUT_MS at most). One beyond it is
 * closed at once. */
#define VSOCK_MAX_HOST_CMD 64
/* RSTs owed to the guest for packets of no connection (a refused REQUEST
 * among them); beyond it the oldest is dropped (the guest's own timeout
 * then ends its attempt). A connection the card ends keeps its slot
 * until its RST is sent instead: that one is never dropped. */
#define VSOCK_RST_QUEUE 64
/* How long a host program has to send its CONNECT line, then the guest
 * to answer the REQUEST for it, the guest to send its RST after the card's
 * SHUTDOWN, and a host socket to take what the card holds after the guest
 * closed (Firecracker's 2 s each but the first: it has no such limit). */
#define VSOCK_TIMEOUT_MS 2000

struct vsock_muxer;

struct vsock_device {
	struct vu_device vu;
	uint64_t cid;
	struct vsock_muxer *mux;
};

/* listen_fd: the bound, listening, non-blocking socket at --uds; base:
 * the socket's file name, which "<base>_<port>" is made from, relative to
 * the working directory (the socket's directory). Starts the worker. */
int vsock_device_init(struct vsock_device *d, uint64_t cid, int listen_fd,
		      const char *base, struct card_vsock_stats *stats, struct azerr *e);

#endif
