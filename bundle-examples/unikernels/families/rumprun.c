/* Linked into args-net as a stand-in rumprun kernel: the rump kernel's bootstrap and rumprun's JSON command-line
 * configuration parser. Only the names matter. */
void rump_init(void);
void rumprun_config(void);
void rump_init(void) {}
void rumprun_config(void) {}
