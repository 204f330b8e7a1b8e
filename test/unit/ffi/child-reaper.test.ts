import { spawnSync } from 'node:child_process';
import { becomeChildSubreaper, reapExited } from '../../../src/ffi/child-reaper';

async function reaped(pid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const status = reapExited(pid);
    if (status !== undefined) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${pid} did not exit`);
}

test('an orphaned grandchild comes to the subreaper, which reads its exit code and its signal', async () => {
  becomeChildSubreaper();
  // The shell exits at once, leaving its background job orphaned, as runc leaves a container's init.
  const code = Number(spawnSync('sh', ['-c', '(sleep 0.2; exit 7) >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).stdout.trim());
  const killed = Number(spawnSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).stdout.trim());
  expect(reapExited(code)).toBeUndefined();
  process.kill(killed, 'SIGKILL');
  expect(await reaped(code)).toBe(7);
  expect(await reaped(killed)).toBe(128 + 9);
  // Not a child (any more): nothing to know.
  expect(reapExited(code)).toBe(255);
});
