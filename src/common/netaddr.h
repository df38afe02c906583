/* Network names and addresses as users write them: interface names and
 * Ethernet MAC addresses ("52:54:00:12:34:56"), for azote's --net and the
 * net card's --tap and --mac. */
#ifndef AZOTE_COMMON_NETADDR_H
#define AZOTE_COMMON_NETADDR_H

#include <stdbool.h>

#include <stdint.h>

#include "common/err.h"

#define MAC_LEN     6
#define MAC_STR_LEN 18   /* "xx:xx:xx:xx:xx:xx" and its NUL */

/* An interface name the kernel accepts (dev_valid_name): 1-15 bytes, not
 * "." or "..", no '/', ':' or white space. */
bool ifname_valid(const char *s);
/* 0 if s is such a name; -1 with e naming opt ("--tap") and s otherwise. */
int ifname_check(const char *s, const char *opt, struct azerr *e);

/* Parses six pairs of hex digits separated by ':' into mac. A NIC's own
 * address must be unicast and not all zeros: -1 with e naming the value
 * and the problem otherwise. opt ("--mac") prefixes the message. */
int mac_parse(const char *s, uint8_t mac[MAC_LEN], const char *opt,
	      struct azerr *e);

/* Formats mac as "xx:xx:xx:xx:xx:xx" into buf. */
char *mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN]);

/* Makes mac a random locally administered unicast address (02:...), as a
 * NIC gets when nobody chose one; -1 if no randomness is available. */
int mac_random(uint8_t mac[MAC_LEN]);

#endif
