#include "cards/card.h"

#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "cards/fds.h"
#include "common/log.h"
#include "cards/vhost/server.h"

int card_start(const struct card_opts *o, struct card_stats **stats, struct azerr *e)
{
	const int keep[] = { o->fd, o->stats_fd, o->control_fd, o->lazy_mem_fd, o->page_relay_fd,
			     o->uffd_dev_fd };
	int sock_fd = o->fd, stats_fd = o->stats_fd, control_fd = o->control_fd;
	int type;
	socklen_t len = sizeof(type);

	*stats = NULL;
	if (jail_close_fds(keep, sizeof(keep) / sizeof(keep[0]), e))
		return -1;
	if (control_fd >= 0 &&
	    (getsockopt(control_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	     type != SOCK_SEQPACKET))
		return azerr_set(e, "--control-fd %d is not a SOCK_SEQPACKET socket", control_fd);
	if (stats_fd >= 0 && !(*stats = card_stats_map(stats_fd, e)))
		return -1;
	if (*stats)
		log_count_held_back_in(&(*stats)->log_held_back);
	signal(SIGPIPE, SIG_IGN);
	if (sock_fd >= 0 && vu_server_check_fd(sock_fd, e))
		return -1;
	return 0;
}

void card_stop(struct card_stats *stats)
{
	if (!stats)
		return;
	log_count_held_back_in(NULL);
	munmap(stats, CARD_STATS_SIZE);
}
