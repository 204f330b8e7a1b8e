// `runcc check [--json]`: whether this machine can run unikernel containers, one line per requirement; exit
// status 0 only when every required one is met (scripts read --json: {"ok", "checks": [...]}).
import { HOST_PROBE } from '../check/host-probe';
import { canRunUnikernels, checkRequirements, formatResults } from '../check/requirements';

const USAGE = 'usage: runcc check [--json]\n\nChecks what runcc needs here (KVM, TAP, iproute2, namespaces, cgroups, runc, engines).\n';

export function runCheckCommand(argv: readonly string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const unknown = argv.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`runcc check: unknown argument ${unknown[0]}\n\n${USAGE}`);
    process.exit(1);
  }
  const results = checkRequirements(HOST_PROBE);
  const ok = canRunUnikernels(results);
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify({ ok, checks: results }, null, 2)}\n` : formatResults(results));
  process.exit(ok ? 0 : 1);
}
