#include "common/netaddr.h"

#include <ctype.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

int ifname_check(const char *s, const char *opt, struct azerr *e)
{
	if (ifname_valid(s))
		return 0;
	return azerr_set(e, "%s '%s': not a valid interface name (1-%d characters, no "
			 "'/', ':' or spaces)", opt, s, IFNAMSIZ - 1);
}

static int hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

int mac_parse(const char *s, uint8_t mac[MAC_LEN], const char *opt,
	      struct azerr *e)
{
	const char *p = s;

	for (int i = 0; i < MAC_LEN; i++) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i == MAC_LEN - 1 ? '\0' : ':'))
			return azerr_set(e, "%s '%s': expected six pairs of hex digits "
					 "separated by ':', e.g. 06:00:ac:10:00:02", opt, s);
		mac[i] = (uint8_t)(hex(p[0]) << 4 | hex(p[1]));
		p += 3;
	}
	if (mac[0] & 1)
		return azerr_set(e, "%s '%s': a multicast address (lowest bit of the "
				 "first byte set) cannot be a NIC's address", opt, s);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return azerr_set(e, "%s '%s': the all-zero address is not valid", opt, s);
	return 0;
}

char *mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN])
{
	snprintf(buf, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int mac_random(uint8_t mac[MAC_LEN])
{
	if (getrandom(mac, MAC_LEN, 0) != MAC_LEN)
		return -1;
	/* Unicast, locally administered (IEEE 802: bits 0 and 1 of byte 0). */
	mac[0] = (uint8_t)((mac[0] & ~1u) | 2u);
	return 0;
}
