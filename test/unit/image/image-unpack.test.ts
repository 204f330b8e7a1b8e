// Unpacking images into bundles: layouts, archives, compression, layer order, whiteouts, and every refused input
// leaving nothing behind.
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackImage } from '../../../src/image/image-unpack';
import { unikernelSpecTemplate } from '../../../src/runtime/spec-template';
import { Entry, tarDirectory, tarOf, writeDockerSave, writeLayout } from './image-fixtures';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'runcc-unpack-test-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const unpack = (image: string, ref?: string) => unpackImage({ image, bundle: join(work, 'bundle'), ref, baseSpec: unikernelSpecTemplate() });
const rootfs = (): string => join(work, 'bundle/rootfs');
const spoolDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('runcc-unpack-') && !n.startsWith('runcc-unpack-test-'));

const base: Entry[] = [
  { name: 'unikernel.hvt', content: 'ELF', mode: 0o755 },
  { name: 'a/', type: 'directory' },
  { name: 'a/x', content: 'x1' },
  { name: 'a/y', content: 'y1' },
  { name: 'b', content: 'b1' },
  { name: 'c/', type: 'directory' },
  { name: 'c/d', content: 'd1' },
  { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
  { name: 'abs', type: 'symlink', linkname: '/etc/hostname' },
  { name: 'a/hard', type: 'link', linkname: 'a/y' },
];

test('an OCI layout directory: config.json from the image config, files with their modes, links kept inside', async () => {
  await writeLayout(join(work, 'layout'), [base], { config: { config: { Entrypoint: ['/unikernel.hvt'], Cmd: ['x', 'y'], Env: ['PATH=/bin', 'K=v'], WorkingDir: '/a', Labels: { 'org.runcc.net-format': 'mirage' } } } });
  await unpack(join(work, 'layout'));
  const config = JSON.parse(readFileSync(join(work, 'bundle/config.json'), 'utf8'));
  expect(config.process).toMatchObject({ args: ['/unikernel.hvt', 'x', 'y'], cwd: '/a', env: ['PATH=/bin', 'K=v'] });
  expect(config.root.path).toBe('rootfs');
  expect(config.annotations).toMatchObject({ 'org.runcc.net-format': 'mirage', 'org.opencontainers.image.os': 'linux', 'org.opencontainers.image.architecture': 'amd64' });
  expect(readFileSync(join(rootfs(), 'a/x'), 'utf8')).toBe('x1');
  expect(lstatSync(join(rootfs(), 'unikernel.hvt')).mode & 0o777).toBe(0o755);
  expect(readlinkSync(join(rootfs(), 'lib'))).toBe('usr/lib');
  expect(readlinkSync(join(rootfs(), 'abs'))).toBe('/etc/hostname');
  expect(lstatSync(join(rootfs(), 'a/hard')).ino).toBe(lstatSync(join(rootfs(), 'a/y')).ino);
});

test('layers apply in order, whiteouts hide lower entries, an opaque whiteout applies before its directory’s entries', async () => {
  const upper: Entry[] = [
    { name: 'a/.wh.x', content: '' },
    { name: '.wh.b', content: '' },
    { name: 'c/new', content: 'n2' },
    // After c/new in tar order, yet it hides only what lower layers put in c/.
    { name: 'c/.wh..wh..opq', content: '' },
    { name: 'a/y', content: 'y2' },
  ];
  const top: Entry[] = [{ name: 'a/x', content: 'x3' }];
  await writeLayout(join(work, 'layout'), [base, upper, top], { compression: 'gzip' });
  await unpack(join(work, 'layout'));
  expect(readdirSync(rootfs()).sort()).toEqual(['a', 'abs', 'c', 'lib', 'unikernel.hvt']);
  expect(readdirSync(join(rootfs(), 'c'))).toEqual(['new']);
  expect(readFileSync(join(rootfs(), 'a/x'), 'utf8')).toBe('x3');
  expect(readFileSync(join(rootfs(), 'a/y'), 'utf8')).toBe('y2');
  expect(readdirSync(join(rootfs(), 'a')).filter((n) => n.startsWith('.wh.'))).toEqual([]);
});

test('zstd layers and a tarred layout', async () => {
  await writeLayout(join(work, 'layout'), [base], { compression: 'zstd' });
  tarDirectory(join(work, 'layout'), join(work, 'image.tar'));
  await unpack(join(work, 'image.tar'));
  expect(readFileSync(join(rootfs(), 'c/d'), 'utf8')).toBe('d1');
  expect(spoolDirs()).toEqual([]);
});

test('an old-layout docker-save archive, chosen by --ref', async () => {
  await writeDockerSave(join(work, 'save'), [base, [{ name: 'b', content: 'b2' }]], 'demo:1');
  tarDirectory(join(work, 'save'), join(work, 'save.tar'));
  await expect(unpack(join(work, 'save.tar'), 'other:2')).rejects.toThrow('no image other:2 in the archive; it holds demo:1');
  await unpack(join(work, 'save.tar'), 'demo:1');
  expect(readFileSync(join(rootfs(), 'b'), 'utf8')).toBe('b2');
  expect(JSON.parse(readFileSync(join(work, 'bundle/config.json'), 'utf8')).process.env).toContain('A=1');
});

test('a docker-save archive whose shared layer is a link to its first copy (as docker save writes it)', async () => {
  await writeDockerSave(join(work, 'save'), [base, base], 'shared:1');
  const [entry] = JSON.parse(readFileSync(join(work, 'save/manifest.json'), 'utf8'));
  const [first, second] = entry.Layers as string[];
  rmSync(join(work, 'save', second));
  symlinkSync(`../${first}`, join(work, 'save', second));
  tarDirectory(join(work, 'save'), join(work, 'save.tar'));
  await unpack(join(work, 'save.tar'));
  expect(readFileSync(join(rootfs(), 'c/d'), 'utf8')).toBe('d1');
  expect(spoolDirs()).toEqual([]);
});

const hostile: [string, Entry[], string][] = [
  ['a ".." path', [{ name: '../evil', content: 'x' }], 'entry ../evil: ".." is not allowed in a layer path'],
  ['an absolute path', [{ name: '/etc/evil', content: 'x' }], 'entry /etc/evil: absolute paths are not allowed in a layer'],
  ['a symlink climbing out', [{ name: 'd/', type: 'directory' }, { name: 'd/up', type: 'symlink', linkname: '../../../etc' }], 'entry d/up: symbolic link to ../../../etc leads outside the root filesystem'],
  ['a write through a symlink', [{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/passwd', content: 'x' }], 'entry etc/passwd: etc is a symbolic link; a layer may not write through links'],
  ['a hard link leading outside', [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }], 'hard link h → ../../etc/passwd: ".." is not allowed in a layer path'],
  ['an absolute hard link', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], 'hard link h → /etc/passwd: absolute paths are not allowed in a layer'],
  ['a device node', [{ name: 'dev/', type: 'directory' }, { name: 'dev/null', type: 'character-device' }], 'entry dev/null: device nodes are not allowed in a unikernel image'],
  ['an oversized name', [{ name: `${'n'.repeat(5000)}`, content: 'x' }], `entry ${'n'.repeat(64)}…: name longer than 4096 bytes`],
];

test.each(hostile)('refused: %s, and nothing is left behind', async (_what, entries, message) => {
  await writeLayout(join(work, 'layout'), [base, entries]);
  tarDirectory(join(work, 'layout'), join(work, 'image.tar'));
  await expect(unpack(join(work, 'image.tar'))).rejects.toThrow(message);
  expect(readdirSync(work).sort()).toEqual(['image.tar', 'layout']);
  expect(spoolDirs()).toEqual([]);
});

test('a corrupted layer blob and a wrong diff_id are caught', async () => {
  const [blob] = await writeLayout(join(work, 'layout'), [base]);
  const bytes = readFileSync(blob);
  bytes[600] ^= 0xff;
  writeFileSync(blob, bytes);
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(/^layer 1 \(blobs\/sha256\/[0-9a-f]{64}\): digest mismatch: the blob is sha256:[0-9a-f]{64}, the manifest says sha256:[0-9a-f]{64}$/);
  expect(existsSync(join(work, 'bundle'))).toBe(false);
  rmSync(join(work, 'layout'), { recursive: true });
  await writeLayout(join(work, 'layout'), [base], { wrongDiffId: true, compression: 'gzip' });
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(/: diff_id mismatch: the tar is sha256:/);
  expect(readdirSync(work)).toEqual(['layout']);
});

test('an archive with something other than files and directories, a non-image, and an existing bundle are refused', async () => {
  writeFileSync(join(work, 'odd.tar'), await tarOf([{ name: 'index.json', type: 'symlink', linkname: '/etc/passwd' }]));
  await expect(unpack(join(work, 'odd.tar'))).rejects.toThrow(`${join(work, 'odd.tar')}: entry index.json: link to /etc/passwd leads outside the archive`);
  writeFileSync(join(work, 'up.tar'), await tarOf([{ name: 'a/index.json', type: 'symlink', linkname: '../../x' }]));
  await expect(unpack(join(work, 'up.tar'))).rejects.toThrow(`${join(work, 'up.tar')}: entry a/index.json: link to ../../x leads outside the archive`);
  writeFileSync(join(work, 'fifo.tar'), await tarOf([{ name: 'p', type: 'fifo' }]));
  await expect(unpack(join(work, 'fifo.tar'))).rejects.toThrow(`${join(work, 'fifo.tar')}: entry p: an image archive holds only files, directories and links between them, not a fifo`);
  writeFileSync(join(work, 'dangling.tar'), await tarOf([{ name: 'index.json', type: 'symlink', linkname: 'nowhere' }]));
  await expect(unpack(join(work, 'dangling.tar'))).rejects.toThrow(`${join(work, 'dangling.tar')}: entry index.json: links to nowhere, which is not a file in the archive`);
  writeFileSync(join(work, 'empty.tar'), await tarOf([{ name: 'hello', content: 'x' }]));
  await expect(unpack(join(work, 'empty.tar'))).rejects.toThrow('not an image: neither index.json (OCI layout) nor manifest.json (docker save) found');
  await writeLayout(join(work, 'layout'), [base]);
  writeFileSync(join(work, 'bundle'), 'x');
  await expect(unpack(join(work, 'layout'))).rejects.toThrow(`bundle ${join(work, 'bundle')} already exists and is not an empty directory`);
  expect(spoolDirs()).toEqual([]);
});
