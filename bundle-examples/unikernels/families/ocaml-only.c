/* Linked into args-net as a kernel with half of MirageOS's evidence (the OCaml runtime, no mirage-solo5 binding):
 * runcc must not take it for MirageOS. */
void caml_startup(void);
void caml_startup(void) {}
