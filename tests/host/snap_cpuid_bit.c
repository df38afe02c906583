/* snap-cpuid-bit: makes a snapshot look as if taken on a host whose KVM
 * offered one feature more than this one: the lowest bit of CPUID leaf
 * 7.0 EBX that the snapshot's host-cpuid section lacks is set there and in
 * every vCPU's CPUID (test 67: the load must refuse it, naming the bit).
 *
 *   snap-cpuid-bit IN OUT    writes OUT; prints "0x7.0 EBX bit N"
 *
 * Exit 0, or 2 with a message (a snapshot without a host-cpuid section,
 * or without leaf 7.0 in it, among them). */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "vmm/snapshot_file.h"

static struct kvm_cpuid_entry2 *leaf7(struct state_section *sec)
{
	struct kvm_cpuid_entry2 *v = (struct kvm_cpuid_entry2 *)sec->data;

	for (size_t i = 0; i < sec->len / sizeof(*v); i++)
		if (v[i].function == 7 && v[i].index == 0)
			return &v[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct snapshot_header h;
	struct state_set s;
	struct azerr e;
	int ret = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: snap-cpuid-bit IN OUT\n");
		return 2;
	}
	if (snapshot_file_read(argv[1], &h, &s, &e) < 0) {
		fprintf(stderr, "snap-cpuid-bit: %s\n", e.msg);
		return 2;
	}
	struct kvm_cpuid_entry2 *host = NULL;
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].tag == STATE_HOST_CPUID)
			host = leaf7(&s.v[i]);
	if (!host || host->ebx == ~0u) {
		fprintf(stderr, "snap-cpuid-bit: %s: %s\n", argv[1],
			host ? "every bit of leaf 7.0 EBX is offered" :
			       "no leaf 7.0 in a host-cpuid section");
		goto out;
	}
	uint32_t bit = 1u << __builtin_ctz(~host->ebx);
	host->ebx |= bit;
	for (size_t i = 0; i < s.n; i++) {
		struct kvm_cpuid_entry2 *ent = s.v[i].tag == STATE_VCPU_CPUID ? leaf7(&s.v[i]) : NULL;
		if (ent)
			ent->ebx |= bit;
	}
	if (snapshot_file_write(argv[2], &h, &s, &e) < 0) {
		fprintf(stderr, "snap-cpuid-bit: %s\n", e.msg);
		goto out;
	}
	printf("0x7.0 EBX bit %d\n", __builtin_ctz(bit));
	ret = 0;
out:
	state_set_free(&s);
	return ret;
}
