import { newcArchive } from '../../../scripts/sandbox/newc-archive';

function records(archive: Buffer): { name: string; mode: number; body: string }[] {
  const out: { name: string; mode: number; body: string }[] = [];
  let at = 0;
  for (;;) {
    expect(archive.toString('ascii', at, at + 6)).toBe('070701');
    const field = (i: number): number => Number.parseInt(archive.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = archive.toString('ascii', at + 110, at + 110 + nameSize - 1);
    const bodyAt = (at + 110 + nameSize + 3) & ~3;
    out.push({ name, mode, body: archive.toString('utf8', bodyAt, bodyAt + size) });
    at = (bodyAt + size + 3) & ~3;
    if (name === 'TRAILER!!!') return out;
  }
}

test('newc archive: directories, files, symlinks, 4-byte alignment, trailer', () => {
  const archive = newcArchive([
    { kind: 'dir', path: '/bin' },
    { kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
  ]);
  expect(archive.length % 4).toBe(0);
  expect(records(archive)).toEqual([
    { name: 'bin', mode: 0o040755, body: '' },
    { name: 'init', mode: 0o100755, body: '#!/bin/sh\n' },
    { name: 'bin/sh', mode: 0o120777, body: 'busybox' },
    { name: 'TRAILER!!!', mode: 0, body: '' },
  ]);
});
