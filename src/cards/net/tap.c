#include "cards/net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netaddr.h"
#include "virtio/virtio.h"

static const char *mq_word(unsigned queues)
{
	return queues > 1 ? " multi_queue" : "";
}

int tap_error(struct azerr *e, enum tap_step step, int err, const char *name,
	      const char *tun_dev, unsigned queues)
{
	switch (step) {
	case TAP_LOOKUP:
		if (err == ENODEV || err == ENXIO)
			return azerr_set(e, "TAP device %s does not exist: the card attaches "
					 "to an existing TAP and never creates one; create it "
					 "with `ip tuntap add dev %s mode tap%s`", name, name,
					 mq_word(queues));
		return azerr_set(e, "cannot look up interface %s: %s", name, strerror(err));
	case TAP_OPEN_DEV:
		if (err == ENOENT || err == ENXIO || err == ENODEV)
			return azerr_set(e, "cannot open %s: %s (is the tun module loaded?)",
					 tun_dev, strerror(err));
		if (err == EACCES || err == EPERM)
			return azerr_set(e, "cannot open %s: permission denied (the card "
					 "needs read-write access to it)", tun_dev);
		return azerr_set(e, "cannot open %s: %s", tun_dev, strerror(err));
	case TAP_ATTACH:
		if (err == EPERM || err == EACCES)
			return azerr_set(e, "no permission to attach to TAP %s: run the card "
					 "as the TAP's owner (`ip tuntap add dev %s mode tap "
					 "user USER%s`) or with CAP_NET_ADMIN", name, name,
					 mq_word(queues));
		if (err == EBUSY)
			return azerr_set(e, "TAP %s is in use by another process (a TAP "
					 "without multi_queue serves one user at a time)", name);
		if (err == EINVAL && queues > 1)
			return azerr_set(e, "TAP %s was not created with multi_queue, which "
					 "--queues %u needs: recreate it with `ip tuntap add dev "
					 "%s mode tap multi_queue`", name, queues, name);
		return azerr_set(e, "cannot attach to TAP %s: %s", name, strerror(err));
	case TAP_CONFIG:
		break;
	}
	return azerr_set(e, "cannot set up TAP %s: %s", name, strerror(err));
}

/* An ioctl on an interface by name through a throw-away socket. */
static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (s < 0)
		return -errno;
	r = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

/* Checks that name is a TAP (tun driver in TAP mode) before attaching:
 * TUNSETIFF alone would say EINVAL for anything else. */
static int check_kind(const char *name, struct azerr *e)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ifreq_ioctl(SIOCETHTOOL, &ifr) < 0 || strcmp(info.driver, "tun"))
		return azerr_set(e, "%s is not a TAP device (driver '%s'); create a TAP "
				 "with `ip tuntap add dev NAME mode tap`", name,
				 info.driver[0] ? info.driver : "unknown");
	if (strcmp(info.bus_info, "tap"))
		return azerr_set(e, "%s is a TUN device (IP packets); the card needs a "
				 "TAP (Ethernet frames): `ip tuntap add dev NAME mode tap`",
				 name);
	return 0;
}

/* Opens one queue; on failure says which step failed. */
static int attach(const char *tun_dev, const char *name, bool mq, int *fd,
		  enum tap_step *step)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
					  (mq ? IFF_MULTI_QUEUE : 0) };

	*step = TAP_OPEN_DEV;
	*fd = open(tun_dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*step = TAP_ATTACH;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0) {
		int err = errno;
		close(*fd);
		*fd = -1;
		return -err;
	}
	return 0;
}

int tap_open(struct tap *t, const char *tun_dev, const char *name,
	     unsigned queues, struct azerr *e)
{
	struct net_mode none;
	struct ifreq ifr = { 0 };
	unsigned index;
	int r;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < NET_MAX_PAIRS; i++)
		t->fd[i] = -1;
	if (ifname_check(name, "--tap", e))
		return -1;
	if (queues < 1 || queues > NET_MAX_PAIRS)
		return azerr_set(e, "%u queues: must be 1..%d", queues, NET_MAX_PAIRS);
	snprintf(t->name, sizeof(t->name), "%s", name);
	index = if_nametoindex(name);
	if (!index)
		return tap_error(e, TAP_LOOKUP, errno, name, tun_dev, queues);
	if (check_kind(name, e))
		return -1;
	t->multi_queue = queues > 1;
	for (unsigned i = 0; i < queues; i++) {
		enum tap_step step;
		r = attach(tun_dev, name, t->multi_queue, &t->fd[i], &step);
		/* One queue on a TAP made multi_queue: attach as such. */
		if (r == -EINVAL && step == TAP_ATTACH && !t->multi_queue) {
			t->multi_queue = true;
			r = attach(tun_dev, name, true, &t->fd[i], &step);
		}
		if (r < 0) {
			tap_close(t);
			return tap_error(e, step, -r, name, tun_dev, queues);
		}
		t->nr++;
	}
	/* Had the TAP vanished between the look-up and TUNSETIFF, a new
	 * one (not persistent, gone when we close it) would now be there. */
	if (if_nametoindex(name) != index) {
		tap_close(t);
		return azerr_set(e, "TAP device %s was removed while the card attached "
				 "to it", name);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if ((r = ifreq_ioctl(SIOCGIFMTU, &ifr)) < 0) {
		tap_close(t);
		return tap_error(e, TAP_CONFIG, -r, name, tun_dev, queues);
	}
	t->mtu = (unsigned)ifr.ifr_mtu;
	/* Until a driver negotiates: the modern header, no offloads. */
	net_mode_init(&none, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	if (tap_set_mode(t, &none, e)) {
		tap_close(t);
		return -1;
	}
	return 0;
}

void tap_close(struct tap *t)
{
	for (unsigned i = 0; i < NET_MAX_PAIRS; i++) {
		if (t->fd[i] >= 0)
			close(t->fd[i]);
		t->fd[i] = -1;
	}
	t->nr = 0;
}

unsigned tap_offloads(const struct net_mode *m)
{
	unsigned f = 0;

	if (m->guest_csum)
		f |= TUN_F_CSUM;
	if (m->guest_tso4)
		f |= TUN_F_TSO4;
	if (m->guest_tso6)
		f |= TUN_F_TSO6;
	return f;
}

int tap_set_mode(const struct tap *t, const struct net_mode *m, struct azerr *e)
{
	int hdr = (int)m->hdr_len;

	if (ioctl(t->fd[0], TUNSETVNETHDRSZ, &hdr) < 0)
		return azerr_set(e, "TAP %s: cannot set a %d-byte virtio-net header: %s",
				 t->name, hdr, strerror(errno));
	if (ioctl(t->fd[0], TUNSETOFFLOAD, (unsigned long)tap_offloads(m)) < 0)
		return azerr_set(e, "TAP %s: cannot set offloads 0x%x: %s", t->name,
				 tap_offloads(m), strerror(errno));
	return 0;
}

int tap_queue_enable(int fd, bool on)
{
	struct ifreq ifr = { .ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}
