/* fc-filter-gen: writes a filter file as Firecracker's seccompiler-bin
 * does, for tests of azote's --seccomp-filter.
 *
 *   fc-filter-gen bincode|bitcode OUT vmm=PROG api=PROG vcpu=PROG
 *
 * PROG: allow (everything), empty (no program: the thread runs
 * unfiltered), kill:NR (system call NR kills the process, the rest is
 * allowed), bad (a jump past the end, which the kernel refuses). The
 * programs come from libseccomp's seccomp_export_bpf, as seccompiler-bin
 * makes them (an architecture check first). bincode is Firecracker
 * 1.0-1.14's layout; bitcode is 1.15's, written with every column unpacked
 * (a packing byte of 0), which the bitcode crate reads as it reads its own
 * packed output. Exit 0, or 2 with a message. */
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_INSNS 254 /* one byte per length in the unpacked bitcode */

struct prog {
	const char *name;
	uint64_t insn[MAX_INSNS];
	unsigned len;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fc-filter-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void insn_from(const struct sock_filter *s, uint64_t *v)
{
	*v = s->code | (uint64_t)s->jt << 16 | (uint64_t)s->jf << 24 |
	     (uint64_t)s->k << 32;
}

static void export(struct prog *p, scmp_filter_ctx ctx)
{
	int fd = memfd_create("bpf", 0);
	struct sock_filter f[MAX_INSNS];
	ssize_t n;

	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		die("cannot export the %s program", p->name);
	n = read(fd, f, sizeof(f));
	if (n <= 0 || n % sizeof(f[0]) || n == sizeof(f))
		die("the %s program is empty or too long", p->name);
	p->len = (unsigned)(n / sizeof(f[0]));
	for (unsigned i = 0; i < p->len; i++)
		insn_from(&f[i], &p->insn[i]);
	close(fd);
}

static void make_prog(struct prog *p, const char *spec)
{
	if (!strcmp(spec, "empty")) {
		p->len = 0;
	} else if (!strcmp(spec, "bad")) {
		struct sock_filter f[] = {
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};

		p->len = 2;
		insn_from(&f[0], &p->insn[0]);
		insn_from(&f[1], &p->insn[1]);
	} else if (!strcmp(spec, "allow") || !strncmp(spec, "kill:", 5)) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		if (!ctx)
			die("seccomp_init failed for %s", p->name);
		if (spec[0] == 'k' &&
		    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, atoi(spec + 5), 0) < 0)
			die("cannot add the rule %s", spec);
		/* An allow-all program is a single return to libseccomp; add a
		 * harmless rule so that it has an architecture check too. */
		if (spec[0] == 'a' &&
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kexec_load), 0) < 0)
			die("cannot add the kexec_load rule for %s", p->name);
		export(p, ctx);
		seccomp_release(ctx);
	} else {
		die("'%s': expected allow, empty, kill:NR or bad", spec);
	}
}

static void put_u64(FILE *f, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		fputc((int)(v >> (8 * i) & 0xff), f);
}

static void write_bincode(FILE *f, const struct prog *p, unsigned n)
{
	put_u64(f, n);
	for (unsigned i = 0; i < n; i++) {
		put_u64(f, strlen(p[i].name));
		fputs(p[i].name, f);
		put_u64(f, p[i].len);
		for (unsigned j = 0; j < p[i].len; j++)
			put_u64(f, p[i].insn[j]);
	}
}

/* The map's columns: its length, the names' lengths and bytes, the
 * programs' lengths, then every instruction. */
static void write_bitcode(FILE *f, const struct prog *p, unsigned n)
{
	unsigned total = 0;

	fputc((int)n, f);
	fputc(0, f);
	for (unsigned i = 0; i < n; i++)
		fputc((int)strlen(p[i].name), f);
	for (unsigned i = 0; i < n; i++)
		fputs(p[i].name, f);
	fputc(0, f);
	for (unsigned i = 0; i < n; i++) {
		fputc((int)p[i].len, f);
		total += p[i].len;
	}
	if (total)
		fputc(0, f);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < p[i].len; j++)
			put_u64(f, p[i].insn[j]);
}

int main(int argc, char **argv)
{
	struct prog p[3] = { { .name = "vmm" }, { .name = "api" }, { .name = "vcpu" } };
	FILE *out;

	if (argc != 6 || (strcmp(argv[1], "bincode") && strcmp(argv[1], "bitcode")))
		die("usage: fc-filter-gen bincode|bitcode OUT vmm=PROG api=PROG vcpu=PROG");
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(p[i].name);

		if (strncmp(argv[3 + i], p[i].name, l) || argv[3 + i][l] != '=')
			die("expected %s=PROG", p[i].name);
		make_prog(&p[i], argv[3 + i] + l + 1);
	}
	out = fopen(argv[2], "wb");
	if (!out)
		die("cannot create %s", argv[2]);
	if (argv[1][1] == 'i' && argv[1][2] == 'n')
		write_bincode(out, p, 3);
	else
		write_bitcode(out, p, 3);
	if (fclose(out))
		die("cannot write %s", argv[2]);
	return 0;
}
