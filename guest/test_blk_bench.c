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
 * phase's length in ticks for the host to convert them.
 * With probe.queues=N (N > 1), N queues run the same phase at once, each
 * at depth qd, each polled by a CPU of its own (the boot CPU and N - 1
 * APs, all at CPL 3); the totals keep the one-queue keys, and each
 * queue's IOPS are added. */
#include "blk.h"
#include "io.h"
#include "latency.h"
#include "lib.h"
#include "probe.h"

#define SEQ_BYTES   (128 * 1024)
#define RAND_BYTES  4096

struct phase {
	const char *name;
	u32 type, bytes;
	bool random;
};

/* One queue's loop: driven by one CPU (the boot CPU for queue 0, AP slot
 * qi - 1 for the others), its results read by the boot CPU afterwards. */
struct bench {
	struct blk *b;
	unsigned qi;              /* the queue */
	u8 **bufs;
	u64 *sent;                /* per slot: when its request went (TSC) */
	unsigned *idle;           /* slots with no request in flight */
	unsigned nr_idle;
	u64 interval;             /* probe.iops: TSC ticks between requests; 0: closed loop */
	u64 due;                  /* when the next paced request goes */
	u64 start, span;          /* random phases: the range, in sectors */
	u64 seq_start, seq_span;  /* sequential phases: this queue's share */
	u64 next_seq, rng;
	/* the phase to run (set before each job) */
	const struct phase *p;
	unsigned qd;
	u64 secs;
	/* what it did */
	bool ok;
	u64 ops, us;
	char why[96];             /* key=value reason when !ok */
	struct lat_hist lat;      /* this phase's latencies */
};

static u64 next_sector(struct bench *k, const struct phase *p)
{
	u64 span = p->random ? k->span : k->seq_span;
	u64 first = p->random ? k->start : k->seq_start;
	u64 units = span / (p->bytes / SECTOR), s;

	if (p->random) {
		k->rng ^= k->rng << 13;
		k->rng ^= k->rng >> 7;
		k->rng ^= k->rng << 17;
		s = k->rng % units;
	} else {
		s = k->next_seq++ % units;
	}
	return first + s * (p->bytes / SECTOR);
}

static bool submit(struct bench *k, const struct phase *p, unsigned slot)
{
	struct vq_seg seg = { k->bufs[slot], p->bytes, p->type == VIRTIO_BLK_T_IN };

	k->sent[slot] = rdtsc();
	return blk_submit(k->b, k->qi, slot, p->type, next_sector(k, p), &seg, 1) >= 0;
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
			vq_kick(&k->b->qs[k->qi].q);   /* paced: each request goes at once */
	}
	return n;
}

static bool stop(struct bench *k, const char *fmt, ...) PRINTF(2, 3);
static bool stop(struct bench *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->why, sizeof(k->why), fmt, ap);
	va_end(ap);
	return k->ok = false;
}

/* Runs phase k->p on queue k->qi for k->secs; false (k->why says why) on
 * an I/O error. At CPL 3 on whichever CPU runs it: it touches only its
 * own queue and k. */
static bool run_queue(struct bench *k)
{
	const struct phase *p = k->p;
	struct blk_queue *bq = &k->b->qs[k->qi];
	struct virtq *q = &bq->q;
	u64 ops = 0, inflight = 0, t0, end, next_check = 0;
	u16 head;
	u32 len;

	memset(&k->lat, 0, sizeof(k->lat));
	k->ok = true;
	k->ops = 0;
	for (unsigned i = 0; i < k->qd; i++)
		k->idle[i] = k->qd - 1 - i;
	k->nr_idle = k->qd;
	t0 = k->due = rdtsc();
	end = t0 + tsc_from_us(k->secs * 1000000);
	for (;;) {
		bool more = rdtsc() < end;
		int sent = more ? refill(k, p) : 0;
		int got;

		if (sent < 0)
			return stop(k, "phase=%s reason=submit_failed", p->name);
		inflight += (u64)sent;
		/* Closed loop: kick once the completions seen are all
		 * refilled (vq_kick does nothing when nothing is new). Not
		 * only when this pass sent: a request refilled while more
		 * completions were pending must still be kicked once they
		 * are, even after the phase's end stops the refills. */
		if (!k->interval && q->used[1] == q->last_used)
			vq_kick(q);
		if (!inflight && !more)
			break;
		got = inflight ? vq_poll(q, &head, &len) : 0;
		if (got < 0)
			return stop(k, "phase=%s %s", p->name, k->b->v.why);
		if (!got) {
			if (inflight && vq_device_failed(q, &next_check))
				return stop(k, "phase=%s %s", p->name, k->b->v.why);
			if (rdtsc() - t0 > tsc_from_us((k->secs + 10) * 1000000))
				return stop(k, "phase=%s reason=request_timeout", p->name);
			cpu_relax();
			continue;
		}
		{
			unsigned slot = bq->slot_of[head];

			if (bq->reqs[slot].status != VIRTIO_BLK_S_OK)
				return stop(k, "phase=%s status=%u", p->name,
					    bq->reqs[slot].status);
			lat_add(&k->lat, rdtsc() - k->sent[slot]);
			ops++;
			inflight--;
			k->idle[k->nr_idle++] = slot;
		}
	}
	k->ops = ops;
	k->us = MAX(us_from_tsc(rdtsc() - t0), 1ULL);
	return true;
}

static void worker_job(void *arg)
{
	run_queue(arg);
}

/* Runs one phase on every queue at once, queue 0 on this CPU and queue
 * i on worker AP i - 1, between the phase's marks; then reports the
 * totals (with several queues, each queue's IOPS too). False (with the
 * report filled) on an I/O error. */
static bool run_phase(struct report *r, struct bench **ks, unsigned nq,
		      const struct phase *p)
{
	struct lat_hist *all = &ks[0]->lat;
	u64 ops = 0, us = 0, t0, t1;

	for (unsigned i = 0; i < nq; i++)
		ks[i]->p = p;
	mark("blk-bench", p->name, "start");
	t0 = rdtsc();
	for (unsigned i = 1; i < nq; i++)
		smp_run(i - 1, worker_job, ks[i]);
	run_queue(ks[0]);
	for (unsigned i = 1; i < nq; i++)
		if (!smp_wait(i - 1, (ks[i]->secs + 20) * 1000000)) {
			rep_fail(r, "phase=%s reason=queue_cpu_timeout queue=%u",
				 p->name, i);
			return false;
		}
	t1 = rdtsc();
	mark("blk-bench", p->name, "end");
	for (unsigned i = 0; i < nq; i++) {
		if (!ks[i]->ok) {
			if (nq > 1)
				rep_fail(r, "queue=%u %s", i, ks[i]->why);
			else
				rep_fail(r, "%s", ks[i]->why);
			return false;
		}
		ops += ks[i]->ops;
		us = MAX(us, ks[i]->us);
		if (i)
			lat_merge(all, &ks[i]->lat);
	}
	{
		u64 bytes = ops * p->bytes;

		rep_kv(r, "%s_ops=%lu %s_us=%lu %s_iops=%lu %s_mib_s=%lu", p->name,
		       (unsigned long)ops, p->name, (unsigned long)us, p->name,
		       (unsigned long)(ops * 1000000 / us), p->name,
		       (unsigned long)(bytes * 1000000 / us / MIB));
		rep_kv(r, "%s_ticks=%lu %s_p50_t=%lu %s_p90_t=%lu %s_p99_t=%lu %s_p999_t=%lu",
		       p->name, (unsigned long)(t1 - t0),
		       p->name, (unsigned long)lat_percentile(all, 5000),
		       p->name, (unsigned long)lat_percentile(all, 9000),
		       p->name, (unsigned long)lat_percentile(all, 9900),
		       p->name, (unsigned long)lat_percentile(all, 9990));
	}
	for (unsigned i = 0; nq > 1 && i < nq; i++)
		rep_kv(r, "%s_q%u_iops=%lu", p->name, i,
		       (unsigned long)(ks[i]->ops * 1000000 / ks[i]->us));
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

/* Queue i's loop state: its buffers and slots, its random generator (queue
 * 0's seed as it always was), its share of the range for the sequential
 * phases. NULL when memory runs out. */
static struct bench *bench_queue(struct blk *b, unsigned i, unsigned nq,
				 u64 start, u64 span, unsigned qd, u64 secs,
				 u64 iops)
{
	struct bench *k = alloc_pages(sizeof(*k));
	u64 share = span / nq;

	if (!k)
		return NULL;
	k->b = b;
	k->qi = i;
	k->qd = qd;
	k->secs = secs;
	k->rng = 0x2545f4914f6cdd1dULL ^ (u64)i * 0x9e3779b97f4a7c15ULL;
	k->start = start;
	k->span = span;
	k->seq_start = start + i * share;
	k->seq_span = nq > 1 ? share : span;
	/* probe.iops is the total offered: each queue offers its part. */
	k->interval = iops ? tsc_hz * nq / iops : 0;
	k->bufs = alloc_pages(qd * sizeof(*k->bufs));
	k->sent = alloc_pages(qd * sizeof(*k->sent));
	k->idle = alloc_pages(qd * sizeof(*k->idle));
	if (!k->bufs || !k->sent || !k->idle)
		return NULL;
	for (unsigned j = 0; j < qd; j++)
		if (!(k->bufs[j] = alloc_pages(SEQ_BYTES)))
			return NULL;
	return k;
}

void test_blk_bench(struct report *r)
{
	struct blk b;
	struct bench *ks[BLK_MAX_QUEUES];
	u64 qd = param_u64("qd", 16, 1, 256), secs = param_u64("secs", 2, 1, 600);
	u64 iops = param_u64("iops", 0, 0, 10000000), start, span;
	unsigned run = parse_phases(param_str("phases", "rand4k,seqrd,seqwr"));
	unsigned nq;

	if (!run) {
		rep_fail(r, "param_error=bad_value key=phases");
		return;
	}
	if (!blk_open(&b, r))
		return;
	nq = b.nr_queues;
	start = param_u64("start", 0, 0, ~0ULL);
	span = param_u64("sectors", b.capacity > start ? b.capacity - start : 0,
			 0, ~0ULL);
	if (start + span > b.capacity || span < nq * (SEQ_BYTES / SECTOR)) {
		rep_fail(r, "reason=range_too_small capacity=%lu",
			 (unsigned long)b.capacity);
		goto out;
	}
	if (qd * 3 > b.qs[0].q.size) {
		rep_fail(r, "reason=qd_exceeds_queue qd=%lu queue_size=%u",
			 (unsigned long)qd, b.qs[0].q.size);
		goto out;
	}
	if ((b.size_max && b.size_max < SEQ_BYTES) || (b.seg_max && b.seg_max < 1)) {
		rep_fail(r, "reason=device_limits_too_small size_max=%u", b.size_max);
		goto out;
	}
	for (unsigned i = 0; i < nq; i++)
		if (!(ks[i] = bench_queue(&b, i, nq, start, span, (unsigned)qd,
					  secs, iops))) {
			rep_fail(r, "reason=out_of_memory");
			goto out;
		}
	/* One CPU per queue: the workers wait at CPL 3 for each phase. */
	if (!smp_workers(r, nq))
		goto out;
	rep_kv(r, "qd=%lu secs=%lu queue_size=%u", (unsigned long)qd,
	       (unsigned long)secs, b.qs[0].q.size);
	if (nq > 1)
		rep_kv(r, "queues=%u", nq);
	/* Only when asked for: the report line has a fixed room. */
	if (iops)
		rep_kv(r, "iops_offered=%lu", (unsigned long)iops);
	for (unsigned i = 0; i < ARRAY_SIZE(phases); i++)
		if ((run & (1u << i)) && !run_phase(r, ks, nq, &phases[i]))
			goto out;
out:
	blk_close(&b);
}
