#include "iface/card_stats.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct card_stats *card_stats_map(int fd, struct azerr *e)
{
	struct stat st;
	struct card_stats *s;

	if (fstat(fd, &st) < 0 || st.st_size < CARD_STATS_SIZE) {
		azerr_set(e, "--stats-fd %d: not a %d-byte stats page", fd, CARD_STATS_SIZE);
		return NULL;
	}
	s = mmap(NULL, CARD_STATS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED) {
		azerr_set(e, "--stats-fd %d: mmap: %s", fd, strerror(errno));
		return NULL;
	}
	if (s->magic != CARD_STATS_MAGIC) {
		munmap(s, CARD_STATS_SIZE);
		azerr_set(e, "--stats-fd %d: not a stats page from azote", fd);
		return NULL;
	}
	return s;
}
