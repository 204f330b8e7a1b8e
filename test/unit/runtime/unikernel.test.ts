// Deciding what a bundle runs: the hvt ABI note, runcc and urunc annotations, /urunc.json, bind-mounted blocks;
// hostile /runcc.json and /urunc.json (FIFOs, links to host files, oversized).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bundle } from '../../../src/runtime/bundle';
import { hvtKernel, imageNetFormat, resolveUnikernel } from '../../../src/runtime/unikernel';
import { MAX_ROOTFS_FILE_BYTES } from '../../../src/runtime/rootfs-file';
import { RuntimeError } from '../../../src/runtime/runtime-error';
import { makeFifo } from '../../../src/ffi/fifo';
import { Spec } from '../../../src/oci/runtime-spec';

const BUILD = resolve(__dirname, '../../../bundle-examples/build');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-unikernel-'));
  mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
  copyFileSync(join(BUILD, 'net-responder.hvt'), join(dir, 'rootfs/net.hvt'));
  copyFileSync(join(BUILD, 'block-tester.hvt'), join(dir, 'rootfs/block.hvt'));
  writeFileSync(join(dir, 'rootfs/bin/sh'), '#!/bin/sh\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function bundleOf(spec: Partial<Spec>): Bundle {
  return { path: dir, rootfs: join(dir, 'rootfs'), spec: { ociVersion: '1.2.0', root: { path: 'rootfs' }, ...spec } as Spec };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

test('process.args[0] with the hvt note is the unikernel; its manifest names the devices; the rest are guest args', () => {
  const found = resolveUnikernel(bundleOf({ process: { args: ['/net.hvt', '5'], cwd: '/' } }));
  expect(found).toEqual({
    kernelPath: join(dir, 'rootfs/net.hvt'),
    netDevices: ['service0'],
    blockDevices: [],
    guestArgs: ['5'],
    blocks: [],
    netFormat: 'runcc',
    netFormatWhy: 'detected: the kernel\'s runcc NET1 note names "runcc"',
  });
});

test('an ordinary program is not a unikernel (runc runs it); a kernel named by annotation must be one', () => {
  expect(resolveUnikernel(bundleOf({ process: { args: ['/bin/sh'], cwd: '/' } }))).toBeUndefined();
  expect(resolveUnikernel(bundleOf({ process: { args: ['/missing'], cwd: '/' } }))).toBeUndefined();
  expect(() => resolveUnikernel(bundleOf({ process: { args: ['x'], cwd: '/' }, annotations: { 'org.runcc.kernel': '/bin/sh' } }))).toThrow(
    '/bin/sh: not a Solo5 hvt unikernel for x86_64',
  );
});

test('urunc keys from /urunc.json (base64) and annotations (plain, and winning): binary, cmdline, type, hypervisor', () => {
  writeFileSync(
    join(dir, 'rootfs/urunc.json'),
    JSON.stringify({
      'com.urunc.unikernel.binary': b64('/net.hvt'),
      'com.urunc.unikernel.cmdline': b64('from json'),
      'com.urunc.unikernel.unikernelType': b64('unikraft'),
      'other.key': 5,
    }),
  );
  const spec = { process: { args: ['/bin/sh'], cwd: '/' }, annotations: { 'com.urunc.unikernel.unikernelType': 'mirage' } };
  expect(resolveUnikernel(bundleOf(spec))).toMatchObject({ kernelPath: join(dir, 'rootfs/net.hvt'), guestArgs: ['from', 'json'], netFormat: 'mirage' });
  expect(() => resolveUnikernel(bundleOf({ ...spec, annotations: { 'com.urunc.unikernel.hypervisor': 'qemu' } }))).toThrow(
    'com.urunc.unikernel.hypervisor: runcc runs hvt unikernels, not "qemu"',
  );
  writeFileSync(join(dir, 'rootfs/urunc.json'), '[1]');
  expect(() => resolveUnikernel(bundleOf(spec))).toThrow('/urunc.json in the rootfs: must be an object of base64 strings');
});

test('the network format annotation is checked', () => {
  const spec = { process: { args: ['/net.hvt'], cwd: '/' } };
  expect(resolveUnikernel(bundleOf({ ...spec, annotations: { 'org.runcc.net-format': 'rumprun' } }))?.netFormat).toBe('rumprun');
  expect(() => resolveUnikernel(bundleOf({ ...spec, annotations: { 'org.runcc.net-format': 'xml' } }))).toThrow(
    'annotation org.runcc.net-format: "xml" is not one of none, runcc, mirage, rumprun, unikraft',
  );
  writeFileSync(join(dir, 'rootfs/runcc.json'), JSON.stringify({ 'org.runcc.net-format': 'json' }));
  expect(() => resolveUnikernel(bundleOf(spec))).toThrow('/runcc.json org.runcc.net-format: "json" is not one of none, runcc, mirage, rumprun, unikraft');
});

describe('choosing the network format: declared, else detected from the kernel file, else none', () => {
  const kernels = {
    plain: 'args-net.hvt',
    runcc: 'args-net-runcc.hvt',
    mirage: 'families/mirage.hvt',
    mirageStripped: 'families/mirage-stripped.hvt',
    unikraft: 'families/unikraft.hvt',
    rumprun: 'families/rumprun.hvt',
    ocamlOnly: 'families/ocaml-only.hvt',
  };
  const choose = (kernel: keyof typeof kernels, extra: Partial<Spec> = {}) => {
    copyFileSync(join(BUILD, kernels[kernel]), join(dir, 'rootfs/k.hvt'));
    const found = resolveUnikernel(bundleOf({ process: { args: ['/k.hvt', 'a'], cwd: '/' }, ...extra }));
    return { format: found?.netFormat, why: found?.netFormatWhy };
  };

  test.each([
    ['plain', 'none', 'nothing declares a format and the kernel carries no evidence of one: the guest gets its own arguments'],
    ['runcc', 'runcc', 'detected: the kernel\'s runcc NET1 note names "runcc"'],
    ['mirage', 'mirage', 'detected: MirageOS kernel (symbols caml_startup, mirage_solo5_*)'],
    ['unikraft', 'unikraft', 'detected: Unikraft kernel (symbols ukplat_entry, uk_libparam_parse)'],
    ['rumprun', 'rumprun', 'detected: rumprun kernel (symbols rump_init, rumprun_config)'],
    ['mirageStripped', 'none', 'nothing declares a format and the kernel carries no evidence of one: the guest gets its own arguments'],
    ['ocamlOnly', 'none', 'nothing declares a format and the kernel carries no evidence of one: the guest gets its own arguments'],
  ] as const)('%s kernel: %s', (kernel, format, why) => {
    expect(choose(kernel)).toEqual({ format, why });
  });

  test('a declaration wins over detection: annotation over /runcc.json over urunc unikernelType', () => {
    expect(choose('mirage', { annotations: { 'org.runcc.net-format': 'none' } })).toEqual({ format: 'none', why: 'declared by annotation org.runcc.net-format' });
    writeFileSync(join(dir, 'rootfs/runcc.json'), JSON.stringify({ 'org.runcc.net-format': 'unikraft' }));
    expect(choose('plain')).toEqual({ format: 'unikraft', why: 'declared by /runcc.json org.runcc.net-format' });
    expect(choose('plain', { annotations: { 'org.runcc.net-format': 'rumprun' } }).format).toBe('rumprun');
    rmSync(join(dir, 'rootfs/runcc.json'));
    expect(choose('runcc', { annotations: { 'com.urunc.unikernel.unikernelType': 'rumprun' } })).toEqual({
      format: 'rumprun',
      why: 'declared by com.urunc.unikernel.unikernelType "rumprun"',
    });
    // A urunc type runcc has no words for falls through to detection.
    expect(choose('mirage', { annotations: { 'com.urunc.unikernel.unikernelType': 'mewz' } }).format).toBe('mirage');
  });
});

test('bind mounts of files onto /NAME become block device NAME; other mounts are ignored; a directory is refused', () => {
  const disk = join(dir, 'disk.img');
  writeFileSync(disk, Buffer.alloc(4096));
  const mounts = [
    { destination: '/etc/hosts', type: 'bind', source: join(dir, 'rootfs/bin/sh'), options: ['rbind'] },
    { destination: '/storage', source: disk, options: ['rbind', 'rw'] },
  ];
  const spec = { process: { args: ['/block.hvt'], cwd: '/' }, mounts };
  expect(resolveUnikernel(bundleOf(spec))?.blocks).toEqual([{ name: 'storage', path: disk }]);
  const dirMount = [{ destination: '/storage', type: 'bind', source: dir, options: ['rbind'] }];
  expect(() => resolveUnikernel(bundleOf({ ...spec, mounts: dirMount }))).toThrow(
    `mount /storage: block device storage needs a regular file or block device, not ${dir}`,
  );
});

test('the urunc block annotation attaches an image from the rootfs to the first (or named) block device', () => {
  writeFileSync(join(dir, 'rootfs/disk.img'), Buffer.alloc(4096));
  const spec = { process: { args: ['/block.hvt'], cwd: '/' }, annotations: { 'com.urunc.unikernel.block': '/disk.img' } };
  expect(resolveUnikernel(bundleOf(spec))?.blocks).toEqual([{ name: 'storage', path: join(dir, 'rootfs/disk.img') }]);
  const named = { ...spec, annotations: { ...spec.annotations, 'com.urunc.unikernel.solo5BlkDev': 'rootfs' } };
  expect(() => resolveUnikernel(bundleOf(named))).toThrow('com.urunc.unikernel.block: the unikernel declares no block device named rootfs');
});

test('links in the rootfs are followed inside it: a hostile image cannot name a host file or device', () => {
  mkdirSync(join(dir, 'rootfs/real'));
  writeFileSync(join(dir, 'rootfs/real/disk.img'), Buffer.alloc(4096));
  symlinkSync('/real', join(dir, 'rootfs/blocks'));
  symlinkSync('/dev', join(dir, 'rootfs/devices'));
  symlinkSync('../../../../../../etc', join(dir, 'rootfs/up'));
  const spec = (image: string) => ({ process: { args: ['/block.hvt'], cwd: '/' }, annotations: { 'org.runcc.block.storage': image } });
  // An absolute link resolves from the rootfs, as in the container.
  expect(resolveUnikernel(bundleOf(spec('/blocks/disk.img')))?.blocks).toEqual([{ name: 'storage', path: join(dir, 'rootfs/real/disk.img') }]);
  expect(() => resolveUnikernel(bundleOf(spec('/devices/null')))).toThrow('org.runcc.block.storage: /devices/null is not a regular file in the root filesystem');
  expect(() => resolveUnikernel(bundleOf(spec('/up/passwd')))).toThrow('org.runcc.block.storage: /up/passwd is not a regular file in the root filesystem');
  symlinkSync('loop', join(dir, 'rootfs/loop'));
  expect(() => resolveUnikernel(bundleOf(spec('/loop')))).toThrow('/loop: too many levels of symbolic links in the root filesystem');
});

test('image build records the format it is told, else the detected one, else none', () => {
  const detected = (name: string) => hvtKernel(join(BUILD, name))?.detectedNetFormat;
  expect(imageNetFormat(undefined, {}, detected('args-net-runcc.hvt'))).toBe('runcc');
  expect(imageNetFormat(undefined, {}, detected('families/unikraft.hvt'))).toBe('unikraft');
  expect(imageNetFormat(undefined, {}, detected('args-net.hvt'))).toBeUndefined();
  expect(imageNetFormat('mirage', { 'org.runcc.net-format': 'rumprun' }, detected('args-net-runcc.hvt'))).toBe('mirage');
  expect(imageNetFormat(undefined, { 'org.runcc.net-format': 'none' }, detected('args-net-runcc.hvt'))).toBe('none');
  expect(() => imageNetFormat('yaml', {}, undefined)).toThrow('--net-format: "yaml" is not one of none, runcc, mirage, rumprun, unikraft');
  expect(() => imageNetFormat(undefined, { 'org.runcc.net-format': 'x' }, undefined)).toThrow('--annotation org.runcc.net-format: "x" is not one of');
});

describe.each(['/runcc.json', '/urunc.json'])('%s in the rootfs is read safely', (file) => {
  const spec = { process: { args: ['/net.hvt'], cwd: '/' } };

  test('a FIFO is refused at once instead of hanging create', () => {
    makeFifo(join(dir, 'rootfs', file), 0o600);
    expect(() => resolveUnikernel(bundleOf(spec))).toThrow(new RuntimeError(`${file} in the root filesystem: must be a regular file, not a FIFO`));
  });

  test('an absolute link to the host’s /etc/passwd reads the rootfs’s (absent here: no keys), never the host’s', () => {
    symlinkSync('/etc/passwd', join(dir, 'rootfs', file));
    expect(resolveUnikernel(bundleOf(spec))).toMatchObject({ kernelPath: join(dir, 'rootfs/net.hvt'), netFormat: 'runcc' });
    // With the rootfs's own /etc/passwd there, that file is the one read (and it is no JSON).
    mkdirSync(join(dir, 'rootfs/etc'));
    writeFileSync(join(dir, 'rootfs/etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
    expect(() => resolveUnikernel(bundleOf(spec))).toThrow(`${file} in the rootfs: Unexpected token`);
  });

  test('a link to itself, a directory, and an oversized file are refused', () => {
    symlinkSync(file, join(dir, 'rootfs', file));
    expect(() => resolveUnikernel(bundleOf(spec))).toThrow(new RuntimeError(`${file} in the root filesystem: too many levels of symbolic links`));
    rmSync(join(dir, 'rootfs', file));
    mkdirSync(join(dir, 'rootfs', file));
    expect(() => resolveUnikernel(bundleOf(spec))).toThrow(new RuntimeError(`${file} in the root filesystem: must be a regular file, not a directory`));
    rmSync(join(dir, 'rootfs', file), { recursive: true });
    writeFileSync(join(dir, 'rootfs', file), Buffer.alloc(MAX_ROOTFS_FILE_BYTES + 1, 0x20));
    expect(() => resolveUnikernel(bundleOf(spec))).toThrow(new RuntimeError(`${file} in the root filesystem: larger than ${MAX_ROOTFS_FILE_BYTES} bytes`));
  });
});
