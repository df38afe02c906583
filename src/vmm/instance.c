#include "vmm/instance.h"

#include "common/log.h"

static void collect_blk(struct block_metrics *b, const struct card_blk_stats *s)
{
	metric_store(&b->read_count, card_stat_read(&s->read_count));
	metric_store(&b->write_count, card_stat_read(&s->write_count));
	metric_store(&b->flush_count, card_stat_read(&s->flush_count));
	metric_store(&b->read_bytes, card_stat_read(&s->read_bytes));
	metric_store(&b->write_bytes, card_stat_read(&s->write_bytes));
	metric_store(&b->invalid_reqs_count, card_stat_read(&s->invalid_reqs));
}

static void collect_net(struct net_metrics *n, const struct card_net_stats *s)
{
	metric_store(&n->rx_packets_count, card_stat_read(&s->rx_packets));
	metric_store(&n->tx_packets_count, card_stat_read(&s->tx_packets));
	metric_store(&n->rx_bytes_count, card_stat_read(&s->rx_bytes));
	metric_store(&n->tx_bytes_count, card_stat_read(&s->tx_bytes));
	metric_store(&n->rx_fails, card_stat_read(&s->rx_fails));
	metric_store(&n->tx_fails, card_stat_read(&s->tx_fails));
}

/* Before each metrics line: the totals the cards azote started keep in
 * their stats pages (cards/stats.h). Drives come first in vm->devs, then
 * NICs, each in vm_config order, as the metrics' groups are. */
static void collect_card_stats(void *ctx, struct metrics *m)
{
	struct instance *inst = ctx;
	unsigned drives = 0, nets = 0;

	for (unsigned i = 0; i < inst->vm.nr_devs; i++) {
		const struct vhost_dev *d = &inst->vm.devs[i];
		if (d->device_id == VIRTIO_ID_BLOCK) {
			if (d->stats && drives < VM_MAX_DRIVES)
				collect_blk(&m->block[drives], &d->stats->blk);
			drives++;
		} else {
			if (d->stats && nets < VM_MAX_NETS)
				collect_net(&m->net[nets], &d->stats->net);
			nets++;
		}
	}
}

/* InstanceStart: build the VM and let its vCPUs run. The main thread then
 * serves it (see main.c). */
static int inst_start(void *ctx, const struct vm_config *cfg, struct azerr *e)
{
	struct instance *inst = ctx;

	if (inst->created)
		return azerr_set(e, "the microVM was already started");
	if (vm_create(&inst->vm, cfg, e) < 0)
		return -1;
	inst->vm.metrics = &inst->metrics.vcpu;
	metrics_set_collector(&inst->metrics, collect_card_stats, inst);
	if (vm_start(&inst->vm, e) < 0) {
		metrics_set_collector(&inst->metrics, NULL, NULL);
		vm_destroy(&inst->vm);
		return -1;
	}
	inst->created = true;
	return 0;
}

static int inst_pause(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	(void)e;
	vm_pause(&inst->vm);
	log_info("vCPUs paused");
	return 0;
}

static int inst_resume(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	(void)e;
	vm_resume(&inst->vm);
	log_info("vCPUs resumed");
	return 0;
}

static int inst_ctrl_alt_del(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	if (i8042_send_ctrl_alt_del(&inst->vm.i8042) < 0)
		return azerr_set(e, "the keyboard controller's buffer is full: the guest "
				 "has not read the previous keys yet");
	return 0;
}

const struct vmm_ops instance_ops = {
	.start = inst_start,
	.pause = inst_pause,
	.resume = inst_resume,
	.send_ctrl_alt_del = inst_ctrl_alt_del,
	/* PATCH of drives and interfaces after boot: not supported yet. */
};
