#include "devices/msix.h"

#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define MSIX_MSG_CTRL      2      /* message control, in the capability */
#define MSIX_TABLE         4
#define MSIX_PBA           8
#define MSIX_CAP_LEN       12
#define CTRL_ENABLE        0x8000
#define CTRL_FUNC_MASK     0x4000
#define ENTRY_MASKED       0x1

static uint16_t msg_control(const struct msix *m)
{
	return (uint16_t)pci_cfg_read(m->dev, m->cap + MSIX_MSG_CTRL, 2);
}

bool msix_vector_valid(const struct msix *m, uint16_t vector)
{
	return vector < m->nr_vectors;
}

static bool deliverable(const struct msix *m, uint16_t v)
{
	uint16_t ctrl = msg_control(m);

	return (ctrl & CTRL_ENABLE) && !(ctrl & CTRL_FUNC_MASK) &&
	       !(m->vectors[v].entry[MSIX_CTRL] & ENTRY_MASKED);
}

static uint64_t msg_addr(const struct msix_vector *v)
{
	return v->entry[MSIX_ADDR_LO] | (uint64_t)v->entry[MSIX_ADDR_HI] << 32;
}

/* Makes vector v's GSI carry its current message. */
static int ensure_route(struct msix *m, uint16_t v)
{
	struct msix_vector *vec = &m->vectors[v];

	if (vec->gsi < 0) {
		vec->gsi = m->host->alloc_gsi(m->host_ctx);
		if (vec->gsi < 0)
			return -1;
	}
	if (!vec->routed) {
		if (m->host->route(m->host_ctx, (unsigned)vec->gsi, msg_addr(vec), vec->entry[MSIX_DATA]) < 0)
			return -1;
		vec->routed = true;
	}
	return 0;
}

static void deliver(struct msix *m, uint16_t v)
{
	const struct msix_vector *vec = &m->vectors[v];

	if (m->host->signal(m->host_ctx, msg_addr(vec), vec->entry[MSIX_DATA]) < 0)
		log_warn("%s: cannot deliver MSI-X vector %u", m->dev->name, v);
}

/* Drains a masked source's eventfd into the pending bit of its vector. */
static void collect(struct msix *m, struct msix_source *s)
{
	uint64_t cnt;

	if (read(s->watch.fd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt &&
	    msix_vector_valid(m, s->vector))
		m->pba |= 1ULL << s->vector;
}

/* Stops the main loop watching s; what came in since its last event is
 * its vector's pending bit. */
static void unwatch(struct msix *m, struct msix_source *s)
{
	m->host->watch(m->host_ctx, &s->watch, false);
	s->watched = false;
	collect(m, s);
}

/* Puts source s in the state its vector asks for: attached as an irqfd
 * while deliverable, watched by the main loop while masked. */
static void sync_source(struct msix *m, struct msix_source *s)
{
	uint16_t v = s->vector;
	bool valid = msix_vector_valid(m, v);
	bool on = valid && deliverable(m, v);

	if (s->attached && !on) {
		m->host->irqfd(m->host_ctx, s->attached_gsi, s->watch.fd, false);
		s->attached = false;
	}
	bool want_watch = valid && !on;
	if (s->watched && !want_watch) {
		unwatch(m, s);
	} else if (want_watch && !s->watched) {
		m->host->watch(m->host_ctx, &s->watch, true);
		s->watched = true;
	}
	if (on && !s->attached) {
		if (m->vectors[v].gsi >= 0 && m->vectors[v].routed &&
		    m->host->irqfd(m->host_ctx, (unsigned)m->vectors[v].gsi, s->watch.fd, true) == 0) {
			s->attached = true;
			s->attached_gsi = (unsigned)m->vectors[v].gsi;
		} else {
			log_warn("%s: MSI-X vector %u has no route; its interrupts are lost",
				 m->dev->name, v);
		}
	}
}

/* Brings every source and pending bit in line with the table and the
 * capability after any change to either. */
static void sync_all(struct msix *m)
{
	for (uint16_t v = 0; v < m->nr_vectors; v++) {
		if (!deliverable(m, v))
			continue;
		bool used = m->pba & (1ULL << v);
		for (unsigned i = 0; i < m->nr_sources; i++)
			used |= m->sources[i].vector == v;
		if (used && ensure_route(m, v) < 0)
			log_warn("%s: cannot route MSI-X vector %u", m->dev->name, v);
	}
	for (unsigned i = 0; i < m->nr_sources; i++)
		sync_source(m, &m->sources[i]);
	for (uint16_t v = 0; v < m->nr_vectors; v++) {
		if ((m->pba & (1ULL << v)) && deliverable(m, v)) {
			m->pba &= ~(1ULL << v);
			deliver(m, v);
		}
	}
}

static void source_ready(struct event_handler *h, uint32_t events)
{
	struct msix_source *s = h->arg;
	struct msix *m = s->msix;

	(void)events;
	pthread_mutex_lock(&m->lock);
	if (s->watched) {
		collect(m, s);
		/* Unmasked between the event and now: deliver at once. */
		sync_all(m);
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_init(struct msix *m, struct pci_device *d, unsigned nr_vectors,
	      int bar, uint32_t table_off, uint32_t pba_off,
	      const struct msix_host_ops *host, void *ctx, struct azerr *e)
{
	memset(m, 0, sizeof(*m));
	if (nr_vectors == 0 || nr_vectors > MSIX_MAX_VECTORS)
		return azerr_set(e, "%s: %u MSI-X vectors (1..%d supported)", d->name,
				 nr_vectors, MSIX_MAX_VECTORS);
	if ((table_off | pba_off) & 7)
		return azerr_set(e, "%s: MSI-X table/PBA offsets must be 8-byte aligned", d->name);
	m->cap = pci_device_add_capability(d, PCI_CAP_ID_MSIX, MSIX_CAP_LEN);
	if (!m->cap)
		return azerr_set(e, "%s: no room for the MSI-X capability", d->name);
	pthread_mutex_init(&m->lock, NULL);
	m->dev = d;
	m->nr_vectors = nr_vectors;
	m->host = host;
	m->host_ctx = ctx;
	pci_cfg_set(d, m->cap + MSIX_MSG_CTRL, 2, nr_vectors - 1);
	pci_cfg_set(d, m->cap + MSIX_TABLE, 4, table_off | (uint32_t)bar);
	pci_cfg_set(d, m->cap + MSIX_PBA, 4, pba_off | (uint32_t)bar);
	d->wmask[m->cap + MSIX_MSG_CTRL + 1] = (CTRL_ENABLE | CTRL_FUNC_MASK) >> 8;
	for (unsigned v = 0; v < nr_vectors; v++) {
		m->vectors[v].entry[MSIX_CTRL] = ENTRY_MASKED; /* reset state: masked */
		m->vectors[v].gsi = -1;
	}
	return 0;
}

void msix_destroy(struct msix *m)
{
	if (!m->dev)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nr_sources; i++) {
		m->sources[i].vector = MSIX_NO_VECTOR;
		sync_source(m, &m->sources[i]);
	}
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&m->lock);
	m->dev = NULL;
}

/* The table dword at offset o, or NULL past the table or unaligned. */
static uint32_t *table_word(struct msix *m, uint64_t o)
{
	uint64_t idx = o / MSIX_ENTRY_SIZE;

	if (idx >= m->nr_vectors || (o & 3))
		return NULL;
	return &m->vectors[idx].entry[(o % MSIX_ENTRY_SIZE) / 4];
}

void msix_table_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
	uint64_t v = 0;

	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < len && i < 8; i += 4) {
		const uint32_t *w = table_word(m, off + i);
		if (w)
			v |= (uint64_t)*w << (8 * i);
	}
	pthread_mutex_unlock(&m->lock);
	memcpy(data, &v, len > 8 ? 8 : len);
}

void msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned len)
{
	uint64_t v = 0;
	bool changed = false;

	if (len != 4 && len != 8)
		return; /* the spec allows only dword and qword accesses */
	memcpy(&v, data, len);
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < len; i += 4) {
		uint32_t *w = table_word(m, off + i);
		if (!w)
			continue;
		uint32_t val = (uint32_t)(v >> (8 * i));
		if ((off + i) % MSIX_ENTRY_SIZE / 4 == MSIX_CTRL) {
			*w = val & ENTRY_MASKED;
		} else {
			*w = val;
			/* A new message: the GSI must be routed again. */
			m->vectors[(off + i) / MSIX_ENTRY_SIZE].routed = false;
		}
		changed = true;
	}
	if (changed)
		sync_all(m);
	pthread_mutex_unlock(&m->lock);
}

void msix_pba_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
	uint64_t v = 0;

	pthread_mutex_lock(&m->lock);
	if (off < 8)
		v = m->pba >> (8 * off);
	pthread_mutex_unlock(&m->lock);
	memcpy(data, &v, len > 8 ? 8 : len);
}

void msix_config_write(struct msix *m, unsigned off, unsigned len)
{
	if (off >= m->cap + (unsigned)MSIX_CAP_LEN || off + len <= m->cap)
		return;
	pthread_mutex_lock(&m->lock);
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
}

int msix_add_source(struct msix *m, int fd, struct azerr *e)
{
	int idx;

	pthread_mutex_lock(&m->lock);
	idx = (int)m->nr_sources;
	if (m->nr_sources < MSIX_MAX_SOURCES) {
		struct msix_source *s = &m->sources[m->nr_sources++];
		s->msix = m;
		s->watch = (struct event_handler){ .fd = fd, .ready = source_ready, .arg = s };
		s->vector = MSIX_NO_VECTOR;
	} else {
		idx = -1;
	}
	pthread_mutex_unlock(&m->lock);
	if (idx < 0)
		azerr_set(e, "%s: more than %d interrupt sources", m->dev->name, MSIX_MAX_SOURCES);
	return idx;
}

void msix_source_set_vector(struct msix *m, unsigned idx, uint16_t vector)
{
	pthread_mutex_lock(&m->lock);
	if (idx < m->nr_sources) {
		struct msix_source *s = &m->sources[idx];
		if (s->vector != vector) {
			/* Leave the old vector completely first. What the
			 * source raised on it masked pends there; what it
			 * raised with no vector (or one it could not be
			 * connected to) is owed to none, as in a VM restored
			 * from a snapshot, whose eventfds start empty. What
			 * it raises once off an irqfd is the new vector's:
			 * it stays in the eventfd until the new vector takes
			 * it, so no interrupt of a running queue is lost. */
			uint64_t stale;
			if (s->watched)
				unwatch(m, s);
			else if (!s->attached)
				(void)!read(s->watch.fd, &stale, sizeof(stale));
			s->vector = MSIX_NO_VECTOR;
			sync_source(m, s);
			s->vector = vector;
			sync_all(m);
		}
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_notify(struct msix *m, uint16_t vector)
{
	pthread_mutex_lock(&m->lock);
	if (msix_vector_valid(m, vector)) {
		if (deliverable(m, vector))
			deliver(m, vector);
		else
			m->pba |= 1ULL << vector;
	}
	pthread_mutex_unlock(&m->lock);
}

/* STATE_MSIX's layout: this header, then nr_vectors table entries as the
 * guest sees them (address low, high, data, vector control: 16 bytes). */
struct msix_wire {
	uint32_t nr_vectors, pad;
	uint64_t pba;
};
#define ENTRY_BYTES (MSIX_ENTRY_WORDS * sizeof(uint32_t))

int msix_save(struct msix *m, struct state_set *s, uint32_t index, struct azerr *e)
{
	unsigned char buf[sizeof(struct msix_wire) + MSIX_MAX_VECTORS * ENTRY_BYTES];
	struct msix_wire h = { .pad = 0 };

	pthread_mutex_lock(&m->lock);
	/* What a masked vector's sources raised and the main loop has not
	 * collected yet is pending already; a restored VM's eventfds start
	 * empty, so it is in the PBA saved or nowhere. */
	for (unsigned i = 0; i < m->nr_sources; i++)
		if (m->sources[i].watched)
			collect(m, &m->sources[i]);
	h.nr_vectors = m->nr_vectors;
	h.pba = m->pba;
	memcpy(buf, &h, sizeof(h));
	for (unsigned v = 0; v < m->nr_vectors; v++)
		memcpy(buf + sizeof(h) + v * ENTRY_BYTES, m->vectors[v].entry, ENTRY_BYTES);
	pthread_mutex_unlock(&m->lock);
	return state_put(s, STATE_MSIX, index, buf, sizeof(h) + h.nr_vectors * ENTRY_BYTES, e);
}

/* The section's table if it fits this device; NULL with e otherwise. */
static const uint32_t *msix_wire_get(const struct msix *m, const struct state_set *s,
				     uint32_t i, struct msix_wire *h, struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_MSIX, i);
	size_t want = sizeof(*h) + m->nr_vectors * ENTRY_BYTES;

	if (!sec || sec->len < sizeof(*h)) {
		state_get(s, STATE_MSIX, i, want, e); /* says what is wrong */
		return NULL;
	}
	memcpy(h, sec->data, sizeof(*h));
	if (h->nr_vectors != m->nr_vectors) {
		state_refuse(e, STATE_MSIX, i, "nr_vectors", "%u: %s has %u", h->nr_vectors,
			     m->dev->name, m->nr_vectors);
		return NULL;
	}
	const uint32_t *t = state_get(s, STATE_MSIX, i, want, e);
	if (!t)
		return NULL;
	t += sizeof(*h) / sizeof(*t);
	if (m->nr_vectors < 64 && (h->pba >> m->nr_vectors)) {
		state_refuse(e, STATE_MSIX, i, "pba", "0x%llx has bits past vector %u",
			     (unsigned long long)h->pba, m->nr_vectors - 1);
		return NULL;
	}
	for (unsigned v = 0; v < m->nr_vectors; v++) {
		uint32_t ctrl = t[v * MSIX_ENTRY_WORDS + MSIX_CTRL];
		if (ctrl & ~ENTRY_MASKED) {
			state_refuse(e, STATE_MSIX, i, "vector control",
				     "0x%x of entry %u has reserved bits", ctrl, v);
			return NULL;
		}
	}
	return t;
}

int msix_load(struct msix *m, const struct state_set *s, uint32_t index, struct azerr *e)
{
	struct msix_wire h;
	const uint32_t *t = msix_wire_get(m, s, index, &h, e);

	if (!t)
		return -1;
	pthread_mutex_lock(&m->lock);
	m->pba = h.pba;
	for (unsigned v = 0; v < m->nr_vectors; v++) {
		memcpy(m->vectors[v].entry, t + v * MSIX_ENTRY_WORDS, ENTRY_BYTES);
		m->vectors[v].routed = false; /* a new message for its GSI */
	}
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
	return 0;
}
