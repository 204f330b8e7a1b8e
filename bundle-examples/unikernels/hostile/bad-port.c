/*
 * bad-port: port I/O that is not a hypercall. Usage: bad-port CASE, CASE one of out (OUT to port 0x600), in (IN from
 * a hypercall port), outb (a one-byte OUT to a hypercall port). The monitor must stop with "Invalid guest port
 * access", exit 1.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    if (str_equal(cmdline, "out")) {
        __asm__ __volatile__("outl %0, %1" : : "a"(0u), "d"((uint16_t)0x600));
    } else if (str_equal(cmdline, "in")) {
        uint32_t value;
        __asm__ __volatile__("inl %1, %0" : "=a"(value) : "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PUTS)));
        (void)value;
    } else if (str_equal(cmdline, "outb")) {
        __asm__ __volatile__("outb %0, %1" : : "a"((uint8_t)0), "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PUTS)));
    }
    print("bad-port: the monitor accepted the port access\n");
    return 3;
}
