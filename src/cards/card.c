#include "cards/card.h"

#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>

#include "cards/fds.h"
#include "cards/vhost/server.h"

int card_start(int sock_fd, int stats_fd, struct card_stats **stats, struct azerr *e)
{
	const int keep[] = { sock_fd, stats_fd };

	*stats = NULL;
	if (jail_close_fds(keep, 2, e))
		return -1;
	if (stats_fd >= 0 && !(*stats = card_stats_map(stats_fd, e)))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if (sock_fd >= 0 && vu_server_check_fd(sock_fd, e))
		return -1;
	return 0;
}

void card_stop(struct card_stats *stats)
{
	if (stats)
		munmap(stats, CARD_STATS_SIZE);
}
