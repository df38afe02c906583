/* One message with one fd attached (SCM_RIGHTS), as an external
 * page-fault handler receives Firecracker's Uffd handshake: for the tests'
 * handler (uffd_handler.c) and test_uffd_handoff. */
#ifndef AZOTE_TESTS_FD_RECV_H
#define AZOTE_TESTS_FD_RECV_H

#include <stddef.h>

/* Reads a message of up to len - 1 bytes into buf (NUL-terminated) from
 * sock; the fd it carried (close-on-exec), or -1 when it carried none or
 * the read failed. */
int fd_recv(int sock, char *buf, size_t len);

#endif
