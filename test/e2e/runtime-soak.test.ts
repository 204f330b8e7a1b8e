// The short soak (`npm run soak` runs the long one): networked unikernel containers created, started, pinged,
// killed and deleted, several at once, each in a namespace and cgroup of its own; nothing may be left afterwards.
import { runSoak } from '../../scripts/soak/soak-run';
import { SLOWDOWN } from './monitor-process';

jest.setTimeout(120_000 * SLOWDOWN);

test('12 create/start/kill/delete cycles, 4 at once: all succeed, nothing is left, the monitors do not grow', async () => {
  const report = await runSoak({ cycles: 12, parallel: 4 });
  process.stdout.write(`soak: ${report.cycles} cycles in ${report.wallSeconds.toFixed(0)} s; monitor RSS ${report.rssFirstKiB} KiB first, ${report.rssLastKiB} KiB last\n`);
  expect(report.failures).toEqual([]);
  expect(report.leftovers).toEqual([]);
  expect(report.rssFirstKiB).toBeGreaterThan(0);
  expect(report.rssLastKiB).toBeLessThan(report.rssFirstKiB * 1.25);
});
