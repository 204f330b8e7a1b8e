/* Linked into args-net as a stand-in Unikraft kernel: Unikraft's platform entry point and its kernel-parameter
 * parser (which reads netdev.ip=). Only the names matter. */
void ukplat_entry(void);
void uk_libparam_parse(void);
void ukplat_entry(void) {}
void uk_libparam_parse(void) {}
