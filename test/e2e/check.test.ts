// `runcc check` on a machine with real KVM (natively or in the sandbox VM): the requirements are met, read from the
// machine itself.
import { spawnSync } from 'node:child_process';
import { RUNCC } from './monitor-process';

interface CheckJson {
  ok: boolean;
  checks: { name: string; ok: boolean; required: boolean; detail: string }[];
}

test('runcc check finds hardware-backed KVM, the TUN device and the tools, and exits 0', () => {
  const json = spawnSync(process.execPath, [RUNCC, 'check', '--json'], { encoding: 'utf8' });
  const report = JSON.parse(json.stdout) as CheckJson;
  const kvm = report.checks.find((c) => c.name === '/dev/kvm');
  expect(kvm).toMatchObject({ ok: true, detail: expect.stringMatching(/^hardware-backed \(kvm_(intel|amd)\)$/) });
  expect(report.checks.filter((c) => c.required && !c.ok)).toEqual([]);
  expect(report.ok).toBe(true);
  expect(json.status).toBe(0);

  const text = spawnSync(process.execPath, [RUNCC, 'check'], { encoding: 'utf8' });
  expect(text.status).toBe(0);
  const lines = text.stdout.trim().split('\n');
  expect(lines).toHaveLength(report.checks.length + 1);
  expect(lines[0]).toMatch(/^ok +\/dev\/kvm: hardware-backed/);
  expect(lines.at(-1)).toBe('runcc can run unikernel containers here');
});
