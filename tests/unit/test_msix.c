/* MSI-X: the capability, table and PBA semantics, and the attach/watch
 * dance of eventfd sources across masking, against a fake hypervisor that
 * records what KVM would have been asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/msix.h"
#include "state_fixture.h"

struct fake_host {
	int next_gsi;
	int routes, signals, attaches, detaches;
	unsigned last_route_gsi;
	uint64_t last_route_addr, last_signal_addr;
	uint32_t last_route_data, last_signal_data;
	bool attached[64];
	struct event_handler *watched[8];
	int nr_watched;
};

static int f_alloc(void *ctx)
{
	struct fake_host *h = ctx;
	return h->next_gsi++;
}

static int f_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct fake_host *h = ctx;
	h->routes++;
	h->last_route_gsi = gsi;
	h->last_route_addr = addr;
	h->last_route_data = data;
	return 0;
}

static int f_irqfd(void *ctx, unsigned gsi, int fd, bool attach)
{
	struct fake_host *h = ctx;
	(void)fd;
	if (attach)
		h->attaches++;
	else
		h->detaches++;
	h->attached[gsi - 24] = attach;
	return 0;
}

static int f_signal(void *ctx, uint64_t addr, uint32_t data)
{
	struct fake_host *h = ctx;
	h->signals++;
	h->last_signal_addr = addr;
	h->last_signal_data = data;
	return 0;
}

static int f_watch(void *ctx, struct event_handler *w, bool on)
{
	struct fake_host *h = ctx;
	if (on) {
		h->watched[h->nr_watched++] = w;
		return 0;
	}
	for (int i = 0; i < h->nr_watched; i++) {
		if (h->watched[i] == w) {
			h->watched[i] = h->watched[--h->nr_watched];
			return 0;
		}
	}
	fail_msg("unwatch of a handler that was not watched");
	return -1;
}

static const struct msix_host_ops fake_ops = {
	.alloc_gsi = f_alloc, .route = f_route, .irqfd = f_irqfd,
	.signal = f_signal, .watch = f_watch,
};

struct fixture {
	struct pci_device dev;
	struct msix m;
	struct fake_host host;
	int efd;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	f.host.next_gsi = 24;
	pci_device_init(&f.dev, "test", 0x1af4, 0x1042, 0, 0, 0);
	assert_int_equal(msix_init(&f.m, &f.dev, 3, 0, 0x4000, 0x5000, &fake_ops, &f.host, NULL), 0);
	f.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	msix_destroy(&f->m);
	close(f->efd);
	return 0;
}

static void table_write32(struct fixture *f, unsigned vec, unsigned word, uint32_t v)
{
	msix_table_write(&f->m, vec * 16 + word * 4, &v, 4);
}

static uint32_t table_read32(struct fixture *f, unsigned vec, unsigned word)
{
	uint32_t v;
	msix_table_read(&f->m, vec * 16 + word * 4, &v, 4);
	return v;
}

static void set_control(struct fixture *f, uint16_t ctrl)
{
	pci_cfg_set(&f->dev, f->m.cap + 2, 2, (pci_cfg_read(&f->dev, f->m.cap + 2, 2) & 0x7ff) | ctrl);
	msix_config_write(&f->m, f->m.cap + 2, 2);
}

static uint64_t pba(struct fixture *f)
{
	uint64_t v;
	msix_pba_read(&f->m, 0, &v, 8);
	return v;
}

static void kick(struct fixture *f)
{
	uint64_t one = 1;
	assert_int_equal(write(f->efd, &one, 8), 8);
}

static void run_watched(struct fixture *f)
{
	for (int i = f->host.nr_watched - 1; i >= 0; i--)
		f->host.watched[i]->ready(f->host.watched[i], 0);
}

static void test_capability_and_reset_state(void **state)
{
	struct fixture *f = *state;
	uint8_t c = f->m.cap;

	assert_int_equal(f->dev.cfg[c], PCI_CAP_ID_MSIX);
	assert_int_equal(pci_cfg_read(&f->dev, c + 2, 2), 2);          /* size - 1 */
	assert_int_equal(pci_cfg_read(&f->dev, c + 4, 4), 0x4000);     /* BIR 0 */
	assert_int_equal(pci_cfg_read(&f->dev, c + 8, 4), 0x5000);
	for (unsigned v = 0; v < 3; v++)
		assert_int_equal(table_read32(f, v, 3), 1);             /* masked */
	/* Only enable and function mask are writable. */
	assert_int_equal(f->dev.wmask[c + 2], 0);
	assert_int_equal(f->dev.wmask[c + 3], 0xc0);
	/* Beyond the table: reads zero, writes ignored. */
	assert_int_equal(table_read32(f, 3, 0), 0);
	table_write32(f, 3, 0, 0x1234);
}

static void test_masked_source_pends_then_delivers(void **state)
{
	struct fixture *f = *state;

	int s = msix_add_source(&f->m, f->efd, NULL);
	assert_int_equal(s, 0);
	msix_source_set_vector(&f->m, 0, 1);
	/* MSI-X off: the source is watched, not attached. */
	assert_int_equal(f->host.nr_watched, 1);
	assert_int_equal(f->host.attaches, 0);
	kick(f);
	run_watched(f);
	assert_int_equal(pba(f), 1 << 1);
	assert_int_equal(f->host.signals, 0);

	table_write32(f, 1, 0, 0xfee00000);
	table_write32(f, 1, 1, 0);
	table_write32(f, 1, 2, 0x4041);
	set_control(f, 0x8000);
	assert_int_equal(pba(f), 1 << 1);       /* still masked per vector */
	table_write32(f, 1, 3, 0);              /* unmask */
	assert_int_equal(pba(f), 0);
	assert_int_equal(f->host.signals, 1);
	assert_true(f->host.last_signal_addr == 0xfee00000);
	assert_int_equal(f->host.last_signal_data, 0x4041);
	assert_int_equal(f->host.routes, 1);
	assert_int_equal(f->host.last_route_data, 0x4041);
	assert_int_equal(f->host.attaches, 1);
	assert_true(f->host.attached[0]);
	assert_int_equal(f->host.nr_watched, 0);
}

static void test_mask_detaches_and_catches_late_signal(void **state)
{
	struct fixture *f = *state;

	msix_add_source(&f->m, f->efd, NULL);
	table_write32(f, 0, 0, 0xfee01000);
	table_write32(f, 0, 2, 0x31);
	table_write32(f, 0, 3, 0);
	set_control(f, 0x8000);
	msix_source_set_vector(&f->m, 0, 0);
	assert_true(f->host.attached[0]);

	/* Function mask: detached and watched. */
	set_control(f, 0x8000 | 0x4000);
	assert_false(f->host.attached[0]);
	assert_int_equal(f->host.nr_watched, 1);
	kick(f);
	/* Unmasked before the main loop saw the event: the signal is
	 * collected when the watch ends and delivered, never lost. */
	set_control(f, 0x8000);
	assert_int_equal(f->host.signals, 1);
	assert_true(f->host.attached[0]);
	assert_int_equal(pba(f), 0);
	uint64_t cnt;
	assert_int_equal(read(f->efd, &cnt, 8), -1); /* drained */
}

static void test_entry_change_reroutes(void **state)
{
	struct fixture *f = *state;

	msix_add_source(&f->m, f->efd, NULL);
	table_write32(f, 2, 0, 0xfee00000);
	table_write32(f, 2, 2, 0x50);
	table_write32(f, 2, 3, 0);
	set_control(f, 0x8000);
	msix_source_set_vector(&f->m, 0, 2);
	assert_int_equal(f->host.routes, 1);
	unsigned gsi = f->host.last_route_gsi;
	/* The guest retargets the vector (e.g. a new CPU affinity). */
	uint64_t qw = 0xfee02000;
	msix_table_write(&f->m, 2 * 16, &qw, 8);
	assert_int_equal(f->host.routes, 2);
	assert_int_equal(f->host.last_route_gsi, gsi);
	assert_true(f->host.last_route_addr == 0xfee02000);
	/* 64-bit read of the address. */
	msix_table_read(&f->m, 2 * 16, &qw, 8);
	assert_true(qw == 0xfee02000);
}

static void test_vector_switch_and_disconnect(void **state)
{
	struct fixture *f = *state;

	msix_add_source(&f->m, f->efd, NULL);
	for (unsigned v = 0; v < 2; v++) {
		table_write32(f, v, 0, 0xfee00000);
		table_write32(f, v, 2, 0x40 + v);
		table_write32(f, v, 3, 0);
	}
	set_control(f, 0x8000);
	msix_source_set_vector(&f->m, 0, 0);
	assert_true(f->host.attached[0]);
	msix_source_set_vector(&f->m, 0, 1);
	assert_false(f->host.attached[0]);
	assert_true(f->host.attached[1]);
	msix_source_set_vector(&f->m, 0, MSIX_NO_VECTOR);
	assert_false(f->host.attached[1]);
	assert_int_equal(f->host.nr_watched, 0);
	/* Out-of-range vectors connect nothing. */
	msix_source_set_vector(&f->m, 0, 7);
	assert_int_equal(f->host.nr_watched, 0);
	assert_false(msix_vector_valid(&f->m, 3));
	/* Raised with no vector: owed to none, not pending on the next. */
	kick(f);
	table_write32(f, 2, 3, 1);                      /* vector 2 masked */
	msix_source_set_vector(&f->m, 0, 2);
	assert_int_equal(f->host.nr_watched, 1);
	run_watched(f);
	assert_int_equal(pba(f), 0);
	kick(f);                                        /* raised on it: pends */
	run_watched(f);
	assert_int_equal(pba(f), 1 << 2);
}

/* A source moved to another vector loses no interrupt it raised on a
 * vector: what it raised on a masked one pends there, what it raised once
 * off its irqfd (a running queue's completion as the guest moves it) is
 * the new vector's. */
static void test_vector_switch_keeps_interrupts(void **state)
{
	struct fixture *f = *state;

	msix_add_source(&f->m, f->efd, NULL);
	for (unsigned v = 0; v < 3; v++) {
		table_write32(f, v, 0, 0xfee00000);
		table_write32(f, v, 2, 0x40 + v);
	}
	table_write32(f, 0, 3, 0);          /* vector 0 deliverable, 1 and 2 masked */
	set_control(f, 0x8000);
	msix_source_set_vector(&f->m, 0, 1);
	kick(f);                            /* the main loop has not seen it yet */
	msix_source_set_vector(&f->m, 0, 2);
	run_watched(f);
	assert_int_equal(pba(f), 1 << 1);
	msix_source_set_vector(&f->m, 0, 0);
	assert_int_equal(f->host.nr_watched, 0);
	assert_int_equal(f->host.attaches, 1);
	kick(f);                            /* left in the eventfd: the fake KVM takes none */
	msix_source_set_vector(&f->m, 0, 2);
	run_watched(f);
	assert_int_equal(pba(f), 1 << 1 | 1 << 2);
}

static void test_notify_from_azote(void **state)
{
	struct fixture *f = *state;

	msix_notify(&f->m, 0);              /* masked: pends */
	assert_int_equal(pba(f), 1);
	assert_int_equal(f->host.signals, 0);
	table_write32(f, 0, 0, 0xfee00000);
	table_write32(f, 0, 2, 0x22);
	set_control(f, 0x8000);
	table_write32(f, 0, 3, 0);
	assert_int_equal(f->host.signals, 1);
	assert_int_equal(pba(f), 0);
	msix_notify(&f->m, 0);              /* deliverable: at once */
	assert_int_equal(f->host.signals, 2);
	msix_notify(&f->m, 9);              /* invalid: ignored */
	assert_int_equal(f->host.signals, 2);
}

static void test_init_errors(void **state)
{
	struct pci_device d;
	struct msix m;
	struct azerr e;
	struct fake_host h = { .next_gsi = 24 };
	(void)state;

	pci_device_init(&d, "t", 0, 0, 0, 0, 0);
	assert_int_equal(msix_init(&m, &d, 0, 0, 0, 0x800, &fake_ops, &h, &e), -1);
	assert_int_equal(msix_init(&m, &d, 65, 0, 0, 0x800, &fake_ops, &h, &e), -1);
	assert_int_equal(msix_init(&m, &d, 4, 0, 4, 0x800, &fake_ops, &h, &e), -1);
	assert_non_null(strstr(e.msg, "aligned"));
}

/* ---- snapshots ---- */

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	static struct fixture g;
	struct state_set s;
	struct azerr e = { "" };

	/* Vector 1 programmed but masked, with an interrupt raised that the
	 * main loop has not collected yet: the save does, as its eventfd
	 * will not be in the restored VM. */
	table_write32(f, 1, 0, 0xfee01000);
	table_write32(f, 1, 2, 0x4033);
	set_control(f, 0x8000);
	int src = msix_add_source(&f->m, f->efd, NULL);
	msix_source_set_vector(&f->m, (unsigned)src, 1);
	kick(f);
	assert_true(pba(f) == 0);
	state_set_init(&s);
	assert_int_equal(msix_save(&f->m, &s, 4, &e), 0);
	assert_true(pba(f) == 2);

	/* A fresh function whose configuration space (pci_bus_load's) has
	 * MSI-X enabled: the table and the pending bit come back, and
	 * unmasking delivers what was pending. */
	memset(&g, 0, sizeof(g));
	g.host.next_gsi = 24;
	pci_device_init(&g.dev, "test", 0x1af4, 0x1042, 0, 0, 0);
	assert_int_equal(msix_init(&g.m, &g.dev, 3, 0, 0x4000, 0x5000, &fake_ops, &g.host, NULL), 0);
	pci_cfg_set(&g.dev, g.m.cap + 2, 2, 0x8002);
	assert_int_equal(msix_load(&g.m, &s, 4, &e), 0);
	assert_true(pba(&g) == 2);
	assert_int_equal(table_read32(&g, 1, 2), 0x4033);
	assert_int_equal(table_read32(&g, 1, 3), 1);
	assert_int_equal(g.host.signals, 0);
	table_write32(&g, 1, 3, 0);
	assert_int_equal(g.host.signals, 1);
	assert_true(g.host.last_signal_addr == 0xfee01000 && g.host.last_signal_data == 0x4033);
	assert_true(pba(&g) == 0);

	/* Refused: a pending bit past the table, reserved control bits,
	 * another table size. */
	uint64_t old = state_poke(&s, STATE_MSIX, 4, 8, 8, 1ULL << 3);
	assert_refused(msix_load(&g.m, &s, 4, &e), &e, "pba");
	state_poke(&s, STATE_MSIX, 4, 8, 8, old);
	old = state_poke(&s, STATE_MSIX, 4, 16 + 16 + 12, 4, 0x80000001);
	assert_refused(msix_load(&g.m, &s, 4, &e), &e, "vector control");
	state_poke(&s, STATE_MSIX, 4, 16 + 16 + 12, 4, old);
	msix_destroy(&g.m);
	pci_device_init(&g.dev, "test", 0x1af4, 0x1042, 0, 0, 0);
	assert_int_equal(msix_init(&g.m, &g.dev, 4, 0, 0x4000, 0x5000, &fake_ops, &g.host, NULL), 0);
	assert_refused(msix_load(&g.m, &s, 4, &e), &e, "nr_vectors");
	msix_destroy(&g.m);
	state_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capability_and_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masked_source_pends_then_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_detaches_and_catches_late_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_switch_keeps_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_change_reroutes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_switch_and_disconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_from_azote, setup, teardown),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
