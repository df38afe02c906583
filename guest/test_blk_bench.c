/* blk-bench: 4 KiB random reads at queue depth probe.qd, then 4 KiB
 * random writes, 128 KiB sequential reads and 128 KiB sequential writes,
 * probe.secs each (probe.phases= picks a subset; by default all but the
 * random writes, e.g. rand4k,rand4kw alone for a QD 1 latency run). The
 * loop runs at CPL 3, polls completions and refills the queue at once; or,
 * with probe.iops=N, offers a fixed load: one request every 1/N s (at most
 * qd in flight), each kicked as it goes, so that the host's CPU per
 * request at that load shows what polling costs when the device idles
 * between requests.
 * Each request's latency, kick to completion seen, goes into a histogram
 * (latency.h) whose percentiles are reported in TSC ticks, with the
 * phase's length in ticks for the host to convert them. */
#include "blk.h"
#include "io.h"
#include "latency.h"
#include "lib.h"

#define SEQ_BYTES   (128 * 1024)
#define RAND_BYTES  4096

struct phase {
	const char *name;
	u32 type, bytes;
	bool random;
};

struct bench {
	struct blk *b;
	u8 **bufs;
	u64 *sent;                /* per slot: when its request went (TSC) */
	unsigned *idle;           /* slots with no request in flight */
	unsigned nr_idle;
	u64 interval;             /* probe.iops: TSC ticks between requests; 0: closed loop */
	u64 due;                  /* when the next paced request goes */
	u64 start, span;          /* in sectors */
	u64 next_seq, rng;
	struct lat_hist lat;      /* this phase's latencies */
};

static u64 next_sector(struct bench *k, const struct phase *p)
{
	u64 units = k->span / (p->bytes / SECTOR), s;

	if (p->random) {
		k->rng ^= k->rng << 13;
		k->rng ^= k->rng >> 7;
		k->rng ^= k->rng << 17;
		s = k->rng % units;
	} else {
		s = k->next_seq++ % units;
	}
	return k->start + s * (p->bytes / SECTOR);
}

static bool submit(struct bench *k, const struct phase *p, unsigned slot)
{
	struct vq_seg seg = { k->bufs[slot], p->bytes, p->type == VIRTIO_BLK_T_IN };

	k->sent[slot] = rdtsc();
	return blk_submit(k->b, slot, p->type, next_sector(k, p), &seg, 1) >= 0;
}

/* Sends what is due: every idle slot in a closed loop, else one request
 * per interval (a load the device cannot keep up with does not pile up:
 * the schedule restarts from now). Returns how many went. */
static int refill(struct bench *k, const struct phase *p)
{
	int n = 0;
	u64 now = rdtsc();

	if (k->interval && k->due + k->interval * 4 < now)
		k->due = now;
	while (k->nr_idle && (!k->interval || now >= k->due)) {
		if (!submit(k, p, k->idle[k->nr_idle - 1]))
			return -1;
		k->nr_idle--;
		k->due += k->interval;
		n++;
		if (k->interval)
			vq_kick(&k->b->q);   /* paced: each request goes at once */
	}
	return n;
}

/* Runs one phase; false (with the report filled) on an I/O error. */
static bool run_phase(struct report *r, struct bench *k, const struct phase *p,
		      unsigned qd, u64 secs)
{
	struct blk *b = k->b;
	u64 ops = 0, inflight = 0, t0, t1, end, next_check = 0;
	u16 head;
	u32 len;

	memset(&k->lat, 0, sizeof(k->lat));
	for (unsigned i = 0; i < qd; i++)
		k->idle[i] = qd - 1 - i;
	k->nr_idle = qd;
	mark("blk-bench", p->name, "start");
	t0 = k->due = rdtsc();
	end = t0 + tsc_from_us(secs * 1000000);
	for (;;) {
		bool more = rdtsc() < end;
		int sent = more ? refill(k, p) : 0;
		int got;

		if (sent < 0) {
			rep_fail(r, "phase=%s reason=submit_failed", p->name);
			return false;
		}
		inflight += (u64)sent;
		/* Closed loop: kick once the completions seen are all
		 * refilled (vq_kick does nothing when nothing is new). Not
		 * only when this pass sent: a request refilled while more
		 * completions were pending must still be kicked once they
		 * are, even after the phase's end stops the refills. */
		if (!k->interval && b->q.used[1] == b->q.last_used)
			vq_kick(&b->q);
		if (!inflight && !more)
			break;
		got = inflight ? vq_poll(&b->q, &head, &len) : 0;
		if (got < 0) {
			rep_fail(r, "phase=%s %s", p->name, b->v.why);
			return false;
		}
		if (!got) {
			if (inflight && vq_device_failed(&b->q, &next_check)) {
				rep_fail(r, "phase=%s %s", p->name, b->v.why);
				return false;
			}
			if (rdtsc() - t0 > tsc_from_us((secs + 10) * 1000000)) {
				rep_fail(r, "phase=%s reason=request_timeout", p->name);
				return false;
			}
			cpu_relax();
			continue;
		}
		{
			unsigned slot = b->slot_of[head];

			if (b->reqs[slot].status != VIRTIO_BLK_S_OK) {
				rep_fail(r, "phase=%s status=%u", p->name,
					 b->reqs[slot].status);
				return false;
			}
			lat_add(&k->lat, rdtsc() - k->sent[slot]);
			ops++;
			inflight--;
			k->idle[k->nr_idle++] = slot;
		}
	}
	t1 = rdtsc();
	mark("blk-bench", p->name, "end");
	{
		u64 us = MAX(us_from_tsc(t1 - t0), 1ULL), bytes = ops * p->bytes;

		rep_kv(r, "%s_ops=%lu %s_us=%lu %s_iops=%lu %s_mib_s=%lu", p->name,
		       (unsigned long)ops, p->name, (unsigned long)us, p->name,
		       (unsigned long)(ops * 1000000 / us), p->name,
		       (unsigned long)(bytes * 1000000 / us / MIB));
		rep_kv(r, "%s_ticks=%lu %s_p50_t=%lu %s_p90_t=%lu %s_p99_t=%lu %s_p999_t=%lu",
		       p->name, (unsigned long)(t1 - t0),
		       p->name, (unsigned long)lat_percentile(&k->lat, 5000),
		       p->name, (unsigned long)lat_percentile(&k->lat, 9000),
		       p->name, (unsigned long)lat_percentile(&k->lat, 9900),
		       p->name, (unsigned long)lat_percentile(&k->lat, 9990));
	}
	return true;
}

static const struct phase phases[] = {
	{ "rand4k", VIRTIO_BLK_T_IN, RAND_BYTES, true },
	{ "rand4kw", VIRTIO_BLK_T_OUT, RAND_BYTES, true },
	{ "seqrd", VIRTIO_BLK_T_IN, SEQ_BYTES, false },
	{ "seqwr", VIRTIO_BLK_T_OUT, SEQ_BYTES, false },
};

/* probe.phases=NAME[,NAME...]: a bit per phase asked for; 0 if a name is
 * unknown or the list is empty. The phases always run in table order. */
static unsigned parse_phases(const char *list)
{
	unsigned mask = 0;

	for (;;) {
		const char *end = list;
		size_t n;
		unsigned i;

		while (*end && *end != ',')
			end++;
		n = (size_t)(end - list);
		for (i = 0; i < ARRAY_SIZE(phases); i++)
			if (n && strlen(phases[i].name) == n &&
			    !strncmp(phases[i].name, list, n))
				break;
		if (i == ARRAY_SIZE(phases))
			return 0;
		mask |= 1u << i;
		if (!*end)
			return mask;
		list = end + 1;
	}
}

void test_blk_bench(struct report *r)
{
	struct blk b;
	/* Static: its histogram is larger than the probe's stack wants. */
	static struct bench k;
	u64 qd = param_u64("qd", 16, 1, 256), secs = param_u64("secs", 2, 1, 600);
	u64 iops = param_u64("iops", 0, 0, 10000000);
	unsigned run = parse_phases(param_str("phases", "rand4k,seqrd,seqwr"));
	u8 **bufs;

	if (!run) {
		rep_fail(r, "param_error=bad_value key=phases");
		return;
	}
	if (!blk_open(&b, r))
		return;
	memset(&k, 0, sizeof(k));
	k.b = &b;
	k.rng = 0x2545f4914f6cdd1dULL;
	k.start = param_u64("start", 0, 0, ~0ULL);
	k.span = param_u64("sectors", b.capacity > k.start ? b.capacity - k.start : 0,
			   0, ~0ULL);
	if (k.start + k.span > b.capacity || k.span < SEQ_BYTES / SECTOR) {
		rep_fail(r, "reason=range_too_small capacity=%lu",
			 (unsigned long)b.capacity);
		goto out;
	}
	if (qd * 3 > b.q.size) {
		rep_fail(r, "reason=qd_exceeds_queue qd=%lu queue_size=%u",
			 (unsigned long)qd, b.q.size);
		goto out;
	}
	if ((b.size_max && b.size_max < SEQ_BYTES) || (b.seg_max && b.seg_max < 1)) {
		rep_fail(r, "reason=device_limits_too_small size_max=%u", b.size_max);
		goto out;
	}
	bufs = alloc_pages(qd * sizeof(*bufs));
	k.sent = alloc_pages(qd * sizeof(*k.sent));
	k.idle = alloc_pages(qd * sizeof(*k.idle));
	k.interval = iops ? tsc_hz / iops : 0;
	for (u64 i = 0; bufs && i < qd; i++)
		if (!(bufs[i] = alloc_pages(SEQ_BYTES)))
			bufs = NULL;
	if (!bufs || !k.sent || !k.idle) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	k.bufs = bufs;
	rep_kv(r, "qd=%lu secs=%lu queue_size=%u", (unsigned long)qd,
	       (unsigned long)secs, b.q.size);
	/* Only when asked for: the report line has a fixed room. */
	if (iops)
		rep_kv(r, "iops_offered=%lu", (unsigned long)iops);
	for (unsigned i = 0; i < ARRAY_SIZE(phases); i++)
		if ((run & (1u << i)) &&
		    !run_phase(r, &k, &phases[i], (unsigned)qd, secs))
			goto out;
out:
	blk_close(&b);
}
