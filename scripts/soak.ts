// `npm run soak`: create/start/kill/delete cycles of a networked unikernel container (default 1000, 20 at once),
// then a check that nothing is left and that the monitors' memory did not grow. Usage: soak [--cycles=N] [--parallel=P]
import { runSoak } from './soak/soak-run';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`soak: --${name} must be a positive integer`);
  return value;
}

async function main(): Promise<number> {
  const cycles = option('cycles', 1000);
  const parallel = Math.min(option('parallel', 20), 200);
  const report = await runSoak({ cycles, parallel, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(
    `soak: ${report.cycles} cycles, ${parallel} in parallel, in ${report.wallSeconds.toFixed(0)} s ` +
      `(${(report.cycles / report.wallSeconds).toFixed(2)} cycles/s); ${report.failures.length} failed; ` +
      `monitor RSS ${report.rssFirstKiB} KiB in the first tenth, ${report.rssLastKiB} KiB in the last\n`,
  );
  for (const failure of report.failures) process.stdout.write(`  failed: ${failure}\n`);
  for (const leftover of report.leftovers) process.stdout.write(`  left: ${leftover}\n`);
  // RSS may wobble by page-cache luck; a growth of more than a tenth is a leak.
  const grew = report.rssLastKiB > report.rssFirstKiB * 1.1;
  if (grew) process.stdout.write('  the monitors grew: RSS of the last tenth is more than 110% of the first\n');
  return report.failures.length === 0 && report.leftovers.length === 0 && !grew ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
