/*
 * A stock distribution kernel builds virtio-pci, virtio-blk and virtio-net
 * as modules. For LINUX_GUEST=stock, build.sh puts them in /lib/modules with
 * a list, /lib/modules/load.list, in dependency order; load them here
 * before any check looks for its device. The test kernel has no modules and
 * its initramfs no list, so this does nothing there.
 */
#include "lg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LIST "/lib/modules/load.list"

void modules_load(void)
{
	char name[128], path[192];
	int fd, loaded = 0, failed = 0;
	FILE *f = fopen(LIST, "re");

	if (!f)
		return;
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!name[0])
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (syscall(SYS_finit_module, fd, "", 0) == 0 || errno == EEXIST)) {
			loaded++;
		} else {
			say("LINUX modules error=load-%s errno=%d", name, errno);
			failed++;
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
	say("LINUX modules loaded=%d failed=%d", loaded, failed);
}
