/* Linked into args-net as a stand-in MirageOS kernel: the symbol names runcc recognises MirageOS by (the OCaml
 * runtime's entry point and a mirage-solo5 binding). Only the names matter. */
void caml_startup(void);
void mirage_solo5_net_acquire(void);
void caml_startup(void) {}
void mirage_solo5_net_acquire(void) {}
