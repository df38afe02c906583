/* Snapshots of the cards' rings: see vhost_devs_state.h. */
#include "vmm/vhost_devs_state.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "virtio/virtio.h"
#include "vmm/card_rings.h"
#include "vmm/card_update.h"
#include "vmm/vm.h"

_Static_assert(VIRTIO_MAX_QUEUES <= CARD_RINGS_MAX_QUEUES,
	       "a card-rings section holds every queue a device can have");

/* used->idx in the ring header at gpa, or -1 if it is not in RAM. */
static int used_idx(struct vm *vm, uint64_t gpa)
{
	const uint16_t *p = guest_mem_ptr(&vm->mem, gpa + 2, 2);

	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : -1;
}

/* Each request a card takes gets one used entry (§2.7.8), so a ring
 * stopped at a request boundary has as many used entries as requests
 * taken: used->idx == the next avail index. VIRTIO_F_IN_ORDER lets a
 * device publish a batch as one entry; the check does not hold then.
 *
 * GET_VRING_BASE answers the next avail index only: used->idx is the one
 * record of whether the back-end completed what it took before answering,
 * as vhost-user asks. A back-end that did not would have its requests lost
 * by a load (the new card starts past them) or completed into RAM already
 * written. A guest that overwrites used->idx, a field the device owns,
 * makes this refuse its snapshot's create too (naming device, queue and
 * indices; the VM goes on), but cannot make a saved one unloadable: the
 * load checks the same RAM, written while the vCPUs and cards stood
 * still. */
static int check_boundary(struct vhost_dev *d, unsigned i, uint64_t used, uint16_t base,
			  const char *when, struct azerr *e)
{
	int idx = used_idx(d->vm, used);

	if (d->vd->driver_features & VIRTIO_BIT(VIRTIO_F_IN_ORDER))
		return 0;
	if (idx < 0)
		return azerr_set(e, "%s: queue %u used ring at 0x%llx is not in RAM",
				 d->name, i, (unsigned long long)used);
	if (idx != base)
		return azerr_set(e, "%s: queue %u %s at avail index %u but its used "
				 "index is %d: requests taken and not completed would "
				 "be lost or done twice", d->name, i, when, base, idx);
	return 0;
}

/* The configuration the guest sees, when the device has one: a new card
 * gives back only what it computes (a balloon's target and actual are
 * azote's and the driver's). */
static int save_config(const struct vhost_dev *d, unsigned idx, struct state_set *s,
		       struct azerr *e)
{
	unsigned char buf[CARD_CONFIG_HDR_SIZE + VHOST_DEV_CONFIG_MAX];

	if (!d->config_size)
		return 0;
	card_config_encode(d->kind->virtio_id, d->config, d->config_size, buf);
	return state_put(s, STATE_CARD_CONFIG, idx, buf, card_config_size(d->config_size), e);
}

/* A snapshot's card-config section, if it has one, over what the new card
 * gave; before any vCPU runs, so unlocked as restore_one reads. A snapshot
 * written before the section existed has none and loads without it, but
 * not for a kind whose configuration the VM computes (pmem's placement):
 * the kind came later than the section, so every real snapshot of one has
 * it, and without it the check that the guest sees its region where it
 * saw it would not run. */
static int restore_config(struct vhost_dev *d, const struct state_set *s, unsigned idx,
			  struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_CARD_CONFIG, idx);
	uint8_t saved[VHOST_DEV_CONFIG_MAX];

	if (!sec && d->kind->config_fixed)
		return azerr_set(e, "%s: snapshot has no card-config #%u section, which "
				 "every snapshot of a %s device holds", d->name, idx,
				 d->kind->name);
	if (!sec)
		return 0;
	if (card_config_decode(sec->data, sec->len, d->name, d->kind->virtio_id, d->config_size,
			       saved, e) < 0)
		return -1;
	if (d->kind->config_fixed && memcmp(saved, d->config, d->config_size))
		return azerr_set(e, "%s: the snapshot's guest saw another device configuration "
				 "than this VM gives it (%s)", d->name, d->kind->config_fixed);
	memcpy(d->config, saved, d->config_size);
	return 0;
}

/* The queue pairs d's driver may switch among (device_kind.h); 0 for a
 * kind without the choice. */
static unsigned switched_pairs(const struct vhost_dev *d)
{
	return d->kind->switched_pairs ? d->kind->switched_pairs(d) : 0;
}

/* The pairs in use, which only the card knows and a new card would not
 * (it starts with one, and the driver does not say it again): asked of a
 * card of azote's whose rings were just stopped, so that no VQ_PAIRS_SET
 * changes it meanwhile. Another back-end keeps its own, or not. */
static int save_net_pairs(struct vhost_dev *d, unsigned idx, struct state_set *s,
			  struct azerr *e)
{
	unsigned char buf[CARD_NET_PAIRS_SIZE];
	unsigned max = switched_pairs(d);
	int pairs;

	if (!max || !d->card_pid)
		return 0;
	if ((pairs = card_update_net_pairs(d, 0, max, e)) < 0)
		return -1;
	card_net_pairs_encode((unsigned)pairs, buf);
	return state_put(s, STATE_CARD_NET_PAIRS, idx, buf, sizeof(buf), e);
}

/* A snapshot's card-net-pairs section, if it has one, to the new card
 * restore_one started, before any vCPU runs. Without one (a snapshot of an
 * azote before it, or of a driver with one pair) the card keeps its one
 * pair. A device whose driver must reset it first (restore_one started
 * nothing) starts afresh with one pair too. */
static int restore_net_pairs(struct vhost_dev *d, const struct state_set *s, unsigned idx,
			     struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_CARD_NET_PAIRS, idx);
	unsigned max = switched_pairs(d), pairs;

	if (!sec)
		return 0;
	if (!max)
		return azerr_set(e, "%s: snapshot has a card-net-pairs #%u section, which only "
				 "a net device whose driver negotiated multiqueue with the "
				 "control queue has", d->name, idx);
	if (card_net_pairs_decode(sec->data, sec->len, d->name, max, &pairs, e) < 0)
		return -1;
	if (!d->started)
		return 0;
	return card_update_net_pairs(d, pairs, max, e) < 0 ? -1 : 0;
}

/* *lost is set when a ring did not stop: see vhost_devs_save. */
static int save_one(struct vhost_dev *d, unsigned idx, struct state_set *s, bool *lost,
		    struct azerr *e)
{
	struct virtio_dev *vd = d->vd;
	struct card_rings r = {
		.virtio_id = d->kind->virtio_id, .started = d->started,
		.nr_queues = vd->p.nr_queues, .features = vd->driver_features,
		.protocol_features = d->fe.protocol_features,
	};

	if (__atomic_load_n(&d->dead, __ATOMIC_ACQUIRE))
		return azerr_set(e, "%s: the card is gone; a snapshot cannot carry "
				 "its rings", d->name);
	if (d->started) {
		uint32_t on = d->rings_on;
		if (vhost_dev_stop_rings(d, d->base, e) < 0) {
			*lost = true;
			return -1;
		}
		d->parked = true;
		for (unsigned i = 0; i < vd->p.nr_queues; i++)
			if ((on & (1u << i)) &&
			    check_boundary(d, i, vd->queues[i].device, d->base[i],
					   "stopped", e) < 0)
				return -1;
	}
	for (unsigned i = 0; i < r.nr_queues; i++) {
		const struct virtio_queue *q = &vd->queues[i];
		r.q[i] = (struct card_ring){
			.size = q->size, .enabled = q->enabled,
			.last_avail = d->parked ? d->base[i] : 0,
			.desc = q->desc, .avail = q->driver, .used = q->device,
		};
	}
	size_t len = card_rings_size(r.nr_queues);
	unsigned char *buf = malloc(len);
	if (!buf)
		return azerr_set(e, "%s: out of memory", d->name);
	card_rings_encode(&r, buf);
	int ret = state_put(s, STATE_CARD_RINGS, idx, buf, len, e);
	free(buf);
	if (ret < 0 || save_config(d, idx, s, e) < 0)
		return -1;
	return d->parked ? save_net_pairs(d, idx, s, e) : 0;
}

int vhost_devs_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct vhost_dev *d = &vm->devs[i];
		bool lost = false;
		pthread_mutex_lock(&d->vd->lock);
		int r = save_one(d, i, s, &lost, e);
		pthread_mutex_unlock(&d->vd->lock);
		/* A ring whose stop failed has no index to restart it from, and
		 * its card no longer counts as started: nothing would serve the
		 * driver, which would still see DRIVER_OK. It is told to reset
		 * the device, as when a card dies. */
		if (lost) {
			log_error("%s: device marked as needing reset: %s", d->name, e->msg);
			virtio_dev_set_needs_reset(d->vd);
		}
		if (r < 0) {
			struct azerr ignored;
			(void)vhost_devs_resume(vm, &ignored);
			return -1;
		}
	}
	return 0;
}

int vhost_devs_resume(struct vm *vm, struct azerr *e)
{
	int ret = 0;

	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct vhost_dev *d = &vm->devs[i];
		struct azerr err;
		int r = 0;

		pthread_mutex_lock(&d->vd->lock);
		if (d->parked) {
			d->parked = false;
			r = vhost_dev_start_rings(d, d->vd->driver_features, d->vd->queues,
						  d->base, &err);
		}
		pthread_mutex_unlock(&d->vd->lock);
		if (r < 0) {
			log_error("%s", err.msg);
			virtio_dev_set_needs_reset(d->vd);
			if (!ret)
				azerr_set(e, "%s", err.msg);
			ret = -1;
		}
	}
	return ret;
}

/* The transport, loaded from the same snapshot, must show the guest the
 * rings the card is about to serve. */
static int check_transport(const struct vhost_dev *d, const struct card_rings *r,
			   struct azerr *e)
{
	const struct virtio_dev *vd = d->vd;

	if (!(vd->status & VIRTIO_STATUS_DRIVER_OK))
		return azerr_set(e, "%s: the snapshot's rings ran but the transport's "
				 "status 0x%x has no DRIVER_OK (load the transport "
				 "before the card rings)", d->name, vd->status);
	if (vd->driver_features != r->features)
		return azerr_set(e, "%s: snapshot card-rings features 0x%llx, the "
				 "transport's driver features 0x%llx", d->name,
				 (unsigned long long)r->features,
				 (unsigned long long)vd->driver_features);
	for (unsigned i = 0; i < r->nr_queues; i++) {
		const struct virtio_queue *q = &vd->queues[i];
		const struct card_ring *c = &r->q[i];
		const char *field = q->enabled != c->enabled ? "enabled" :
				    !c->enabled ? NULL :
				    q->size != c->size ? "size" :
				    q->desc != c->desc ? "descriptor address" :
				    q->driver != c->avail ? "available ring address" :
				    q->device != c->used ? "used ring address" : NULL;
		if (field)
			return azerr_set(e, "%s: snapshot queue %u: the card rings' %s "
					 "differs from the transport's", d->name, i, field);
	}
	return 0;
}

/* What the new card must support, and the saved avail index against the
 * loaded memory's used ring (a file field: check_boundary held for it at
 * the save). avail->idx is not checked: the guest writes it, and one that
 * made more available than the ring holds would have a snapshot that
 * saves and never loads. The card's own check refuses it when it reads
 * the ring, the queue stopped until reset as on a running device. */
static int check_card_and_memory(struct vhost_dev *d, const struct card_rings *r,
				 struct azerr *e)
{
	uint64_t want = r->features & ~d->own_features;
	/* LOG_SHMFD says whether the saved VM tracked changed pages, not
	 * anything about its rings: a VM restored without tracking does not
	 * negotiate it, and need not. */
	uint64_t want_pf = r->protocol_features & ~(1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD);

	if (want & ~d->fe.features)
		return azerr_set(e, "%s: snapshot's driver features include 0x%llx, "
				 "which this card does not offer", d->name,
				 (unsigned long long)(want & ~d->fe.features));
	if (want_pf & ~d->fe.protocol_features)
		return azerr_set(e, "%s: snapshot's vhost-user protocol features "
				 "include 0x%llx, not negotiated with this card", d->name,
				 (unsigned long long)(want_pf & ~d->fe.protocol_features));
	for (unsigned i = 0; i < r->nr_queues; i++)
		if (r->q[i].enabled &&
		    check_boundary(d, i, r->q[i].used, r->q[i].last_avail, "saved", e) < 0)
			return -1;
	return 0;
}

/* Rings that never ran are left to a fresh card, which only the
 * driver's DRIVER_OK starts. A transport loaded serving its driver would
 * wait for ever on it: every device that serves has its card started
 * (DRIVER_OK starts it, and a start or resume the card refuses sets
 * NEEDS_RESET), so no guest can make that pair; an edited file can. */
static int check_never_started(struct vhost_dev *d, struct azerr *e)
{
	if (virtio_dev_loaded_running(d->vd))
		return azerr_set(e, "%s: the snapshot's transport serves the driver (status "
				 "0x%x) but its card-rings section says the rings never "
				 "started", d->name, d->vd->status);
	return 0;
}

static int restore_one(struct vhost_dev *d, const struct state_section *sec,
		       struct azerr *e)
{
	struct virtio_dev *vd = d->vd;
	struct card_rings_expect x = {
		.dev = d->name, .virtio_id = d->kind->virtio_id,
		.nr_queues = vd->p.nr_queues, .queue_max_size = vd->p.queue_max_size,
	};
	uint16_t base[VIRTIO_MAX_QUEUES];
	struct card_rings r;

	if (card_rings_decode(sec->data, sec->len, &x, &r, e) < 0)
		return -1;
	if (!r.started)
		return check_never_started(d, e);
	if (__atomic_load_n(&d->dead, __ATOMIC_ACQUIRE))
		return azerr_set(e, "%s: the card is gone", d->name);
	if (check_transport(d, &r, e) < 0)
		return -1;
	/* At DRIVER_OK (check_transport) but not serving: a resume the card
	 * refused part-way left NEEDS_RESET with some rings running, or the
	 * driver set FAILED over running rings. Its driver must reset the
	 * device before using it again, so the new card takes no ring and
	 * the device stays as the guest saw it; the reset's DRIVER_OK
	 * starts the card afresh. */
	if (!virtio_dev_loaded_running(vd)) {
		log_info("%s: status 0x%x needs a reset by its driver: its rings stay "
			 "stopped", d->name, vd->status);
		return 0;
	}
	if (check_card_and_memory(d, &r, e) < 0)
		return -1;
	for (unsigned i = 0; i < r.nr_queues; i++)
		base[i] = r.q[i].last_avail;
	/* The transport starts the card as DRIVER_OK would, from its loaded
	 * registers (check_transport: the same as the section's rings), and
	 * vd_start takes the saved avail indices. */
	d->restored_base = base;
	int ret = virtio_dev_start_loaded(vd, e);

	d->restored_base = NULL;
	if (ret < 0)
		return -1;
	log_info("%s: rings restored from the snapshot", d->name);
	return 0;
}

int vhost_devs_restore(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	/* A section for a device this VM does not have: another
	 * configuration's snapshot. */
	for (size_t i = 0; i < s->n; i++)
		if ((s->v[i].tag == STATE_CARD_RINGS || s->v[i].tag == STATE_CARD_CONFIG ||
		     s->v[i].tag == STATE_CARD_NET_PAIRS) && s->v[i].index >= vm->nr_devs)
			return azerr_set(e, "snapshot has %s for device #%u; this VM has %u "
					 "devices", state_tag_name(s->v[i].tag), s->v[i].index,
					 vm->nr_devs);
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct vhost_dev *d = &vm->devs[i];
		const struct state_section *sec = state_find(s, STATE_CARD_RINGS, i);

		if (!sec)
			return azerr_set(e, "%s: snapshot has no card-rings #%u section",
					 d->name, i);
		/* No vCPU runs yet: restore_one reads the loaded transport
		 * unlocked, and starts it through virtio_dev, which locks. */
		if (restore_config(d, s, i, e) < 0 || restore_one(d, sec, e) < 0 ||
		    restore_net_pairs(d, s, i, e) < 0)
			return -1;
	}
	return 0;
}
