/*
 * irq: every virtio device interrupts, through MSI-X on virtio-pci or
 * through an IO-APIC line on virtio-mmio, and its interrupts fire.
 * /proc/interrupts is read when init starts (before the other checks) and
 * again when this check runs, so run it after blk/net: their I/O must
 * raise the counts, since Linux's drivers wait for interrupts.
 * Per device (virtioN) on virtio-pci: it has vectors besides
 * "virtioN-config", each on an MSI interrupt chip and in "msix" mode
 * according to the PCI device's msi_irqs/ in sysfs, and the sum of its
 * queue vectors' counts rose. On virtio-mmio (lg.transport=mmio): one line
 * named "virtioN" on the IO-APIC, edge-triggered, whose count rose.
 * lg.irq_devs=N: the number of virtio devices expected.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VEC 64

struct vec {
	unsigned int irq;
	char dev[16];	/* "virtio0" */
	char chip[24];	/* "PCI-MSI", "IO-APIC" */
	char kind[24];	/* the column after the chip: "2-edge", "524288-edge" */
	bool config;	/* the config-change vector, not a queue */
	uint64_t count;	/* summed over CPUs */
};

struct snapshot {
	struct vec v[MAX_VEC];
	int n;
};

static struct snapshot before;

static bool parse_vec(char *s, int ncpu, struct vec *v)
{
	char *tok, *save = NULL, *name = NULL, *chip = NULL, *kind = "", *dash;
	int i = 0;

	tok = strtok_r(s, " ", &save);
	if (!tok || sscanf(tok, "%u:", &v->irq) != 1)
		return false;
	v->count = 0;
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (i < ncpu)
			v->count += strtoull(tok, NULL, 10);
		else if (i == ncpu)
			chip = tok;
		else if (i == ncpu + 1)
			kind = tok;
		name = tok;
		i++;
	}
	if (!chip || !name || strncmp(name, "virtio", 6))
		return false;
	dash = strchr(name, '-');
	if (dash)
		*dash = '\0';
	snprintf(v->dev, sizeof(v->dev), "%s", name);
	snprintf(v->chip, sizeof(v->chip), "%s", chip);
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	v->config = dash && !strcmp(dash + 1, "config");
	return true;
}

static void snapshot(struct snapshot *s)
{
	char line[512], *p;
	int ncpu = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	s->n = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f))
		for (p = line; (p = strstr(p, "CPU")); p += 3)
			ncpu++;
	while (fgets(line, sizeof(line), f) && s->n < MAX_VEC) {
		line[strcspn(line, "\n")] = '\0';
		if (parse_vec(line, ncpu, &s->v[s->n]))
			s->n++;
	}
	fclose(f);
}

void irq_snapshot_before(void)
{
	snapshot(&before);
}

static uint64_t count_before(unsigned int irq)
{
	int i;

	for (i = 0; i < before.n; i++)
		if (before.v[i].irq == irq)
			return before.v[i].count;
	return 0;
}

static bool is_msix(const struct vec *v)
{
	char path[128], mode[16];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/../msi_irqs/%u",
		 v->dev, v->irq);
	return read_text(path, mode, sizeof(mode)) == 0 && !strcmp(mode, "msix");
}

/* virtio-mmio: the device's one line, "virtioN" on an IO-APIC, edge. */
static void judge_mmio_dev(struct line *l, const struct snapshot *now, const char *dev)
{
	uint64_t rise = 0;
	int i, lines = 0;
	bool ioapic = true;

	for (i = 0; i < now->n; i++) {
		const struct vec *v = &now->v[i];

		if (strcmp(v->dev, dev))
			continue;
		lines++;
		ioapic &= strstr(v->chip, "IO-APIC") && strstr(v->kind, "edge") && !v->config;
		rise += v->count - count_before(v->irq);
	}
	if (lines != 1 || !ioapic || !rise)
		line_fail(l, "%s:ioapic-edge=%s:lines=%d:rise=%llu", dev, ioapic ? "yes" : "no",
			  lines, (unsigned long long)rise);
	else
		line_add(l, "%s:ioapic-edge=yes:lines=1:rise=%llu", dev,
			 (unsigned long long)rise);
}

/* Judges one device; appends "virtioN:vectors=Q:rise=R" to the line. */
static void judge_dev(struct line *l, const struct snapshot *now, const char *dev)
{
	uint64_t rise = 0;
	int i, queues = 0;
	bool msix = true;

	for (i = 0; i < now->n; i++) {
		const struct vec *v = &now->v[i];

		if (strcmp(v->dev, dev))
			continue;
		if (!strstr(v->chip, "MSI") || !is_msix(v))
			msix = false;
		if (v->config)
			continue;
		queues++;
		rise += v->count - count_before(v->irq);
	}
	if (!msix || !queues || !rise)
		line_fail(l, "%s:msix=%s:vectors=%d:rise=%llu", dev, msix ? "yes" : "no",
			  queues, (unsigned long long)rise);
	else
		line_add(l, "%s:msix=yes:vectors=%d:rise=%llu", dev, queues,
			 (unsigned long long)rise);
}

bool check_irq(void)
{
	struct line l = { .len = 0 };
	struct snapshot now;
	uint64_t want;
	int i, j, devs = 0;
	const char *transport = param("lg.transport");
	bool mmio = transport && !strcmp(transport, "mmio");

	snapshot(&now);
	for (i = 0; i < now.n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(now.v[j].dev, now.v[i].dev))
				break;
		if (j < i)
			continue;
		devs++;
		if (mmio)
			judge_mmio_dev(&l, &now, now.v[i].dev);
		else
			judge_dev(&l, &now, now.v[i].dev);
	}
	if (!param_u64("lg.irq_devs", &want))
		line_fail(&l, "error=no-lg.irq_devs");
	else if ((uint64_t)devs != want)
		line_fail(&l, "devices=%d want_devices=%llu", devs, (unsigned long long)want);
	else
		line_add(&l, "devices=%d", devs);
	return line_emit(&l, "irq");
}
