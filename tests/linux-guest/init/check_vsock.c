/*
 * vsock: the guest's virtio-vsock (azote's vsock card, Firecracker's
 * hybrid model) both ways. The guest's CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID
 * on /dev/vsock) is lg.vsock_cid; the guest connects to the host (CID 2)
 * at port lg.vsock_out, where the host's helper (run.sh) listens on
 * <uds>_<port> and answers each line upper-cased; then it listens on port
 * lg.vsock_in, where the helper connects through <uds> with
 * "CONNECT <port>", and echoes the line the host sends (vsock.c).
 */
#include "lg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

bool check_vsock(void)
{
	struct line l = { .len = 0 };
	uint32_t out, in;
	uint64_t cid;
	unsigned int got = 0;
	int dev, fd;

	if (!vsock_params(&l, &cid, &out, &in))
		return line_emit(&l, "vsock");
	dev = open("/dev/vsock", O_RDONLY);
	if (dev < 0 || ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &got) < 0)
		line_fail(&l, "error=no-/dev/vsock:%s", strerror(errno));
	else if (got != cid)
		line_fail(&l, "cid=%u want_cid=%llu", got, (unsigned long long)cid);
	else
		line_add(&l, "cid=%u", got);
	if (dev >= 0)
		close(dev);
	fd = vsock_exchange_out(&l, "out", out);
	if (fd >= 0)
		close(fd);
	fd = vsock_listen(&l, "in", in);
	if (fd >= 0) {
		vsock_echo_in(&l, "in", fd, in);
		close(fd);
	}
	return line_emit(&l, "vsock");
}
