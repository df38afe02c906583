#include "arch/x86/reset_vector.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86/layout.h"

/* 16-bit real-mode code (Intel SDM vol. 2 encodings). */
static const uint8_t stub[] = {
	0xb0, 0xfe,        /* mov al, 0xfe    i8042: pulse the reset line */
	0xe6, 0x64,        /* out 0x64, al    the controller's command port */
	0xf4,              /* hlt             should the reset not come */
	0xeb, 0xfd,        /* jmp short -3    back to hlt */
};

_Static_assert(sizeof(stub) <= 16, "the reset vector has 16 bytes to 1 MiB");

int reset_vector_write(struct guest_mem *m, struct azerr *e)
{
	uint8_t *dst = guest_mem_ptr(m, GPA_RESET_VECTOR, sizeof(stub));

	if (!dst)
		return azerr_set(e, "reset vector at 0x%llx is not guest RAM",
				 GPA_RESET_VECTOR);
	memcpy(dst, stub, sizeof(stub));
	return 0;
}
