// Imported first by every entry point that runs a guest (the container monitor, `runcc-hvt`, `runcc hvt`).
// Node opens its inspector on 127.0.0.1:9229 when the process gets SIGUSR1 (node 20 has no flag to turn that off):
// anyone who can send the signal — `runcc kill ID USR1`, `docker kill -s USR1` — would give every process in the
// container's network namespace a debugger in a root process. A listener of our own replaces node's handler for
// the life of the process (it must stay: removing it would restore the default action, termination). SIGUSR1
// thus does nothing to a unikernel container. The only window left is node's own start-up, before this module
// runs, when nobody has been told the monitor's pid yet.
process.on('SIGUSR1', () => undefined);
