/* Result lines, command-line parameters, small file readers, CRC-32,
 * interrupt counts. */
#include "lg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __attribute__((format(printf, 2, 0))) void
line_vadd(struct line *l, const char *fmt, va_list ap)
{
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	l->buf[l->len++] = ' ';
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_vadd(l, fmt, ap);
	va_end(ap);
}

void line_fail(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_vadd(l, fmt, ap);
	va_end(ap);
	l->failed = true;
}

bool line_emit(struct line *l, const char *check)
{
	say("LINUX %s %s%s", check, l->failed ? "FAIL" : "PASS", l->buf);
	return !l->failed;
}

/* One write() per line, so kernel messages cannot split it. */
void say(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
		return;
}

/* COMMAND_LINE_SIZE is 2048 on x86; /proc/cmdline adds a newline. */
static char cmdline[4096];
static char tokens[4096];
static char *tokv[512];
static int tokc;

int cmdline_load(void)
{
	char *p, *save = NULL;

	if (read_text("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return -1;
	memcpy(tokens, cmdline, sizeof(tokens));
	for (p = strtok_r(tokens, " ", &save); p && tokc < 512;
	     p = strtok_r(NULL, " ", &save))
		tokv[tokc++] = p;
	return 0;
}

const char *cmdline_raw(void)
{
	return cmdline;
}

const char *param(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < tokc; i++)
		if (!strncmp(tokv[i], name, n) && tokv[i][n] == '=')
			return tokv[i] + n + 1;
	return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && (*end == '\0' || *end == '\n');
}

bool param_u64(const char *name, uint64_t *out)
{
	return parse_u64(param(name), out);
}

int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	if (total > 0 && buf[total - 1] == '\n')
		buf[total - 1] = '\0';
	return 0;
}

int read_u64(const char *path, uint64_t *out)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	return parse_u64(buf, out) ? 0 : -1;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t c;
	int i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#define KERN_WARNING 4

const char *kmsg_next_warning(int fd, char *rec, size_t size)
{
	ssize_t n;

	while ((n = read(fd, rec, size - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;	/* overwritten records: read on */
		rec[n] = '\0';
		char *text = strchr(rec, ';');
		if (!text || (atoi(rec) & 7) > KERN_WARNING)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		return text;
	}
	return NULL;	/* EAGAIN: the end */
}

void line_word(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text);
	for (char *c = out; *c; c++)
		if (isspace((unsigned char)*c))
			*c = '_';
}

/* xorshift64*: cheap, and any seed gives a pattern a stale image lacks. */
void pattern_fill(uint8_t *buf, size_t len, uint64_t *state)
{
	uint64_t x, v;
	size_t i;

	for (i = 0; i < len; i += 8) {
		x = *state;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*state = x;
		v = x * 0x2545f4914f6cdd1dull;
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
}

uint64_t irq_sum(bool (*match)(const char *name, const void *arg), const void *arg)
{
	char line[1024], *tok, *save, *last;
	uint64_t sum = 0, line_sum;
	bool counting;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " ", &save);
		if (!tok || !strchr(tok, ':'))
			continue;
		line_sum = 0;
		last = NULL;
		counting = true;
		while ((tok = strtok_r(NULL, " ", &save))) {
			char *end;
			uint64_t v = strtoull(tok, &end, 10);

			if (counting && !*end)
				line_sum += v;
			else
				counting = false;
			last = tok;
		}
		if (last && match(last, arg))
			sum += line_sum;
	}
	fclose(f);
	return sum;
}
