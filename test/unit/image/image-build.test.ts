// `runcc image build`: one reproducible tar that is both an OCI layout and a docker-save archive, and that unpacks
// into a bundle runcc runs.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildImage } from '../../../src/image/image-build';
import { unpackImage } from '../../../src/image/image-unpack';
import { resolveUnikernel } from '../../../src/runtime/unikernel';
import { loadBundle } from '../../../src/runtime/bundle';
import { unikernelSpecTemplate } from '../../../src/runtime/spec-template';

const KERNEL = resolve(__dirname, '../../../bundle-examples/build/block-tester.hvt');
let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'runcc-build-test-'));
  writeFileSync(join(work, 'disk.img'), Buffer.alloc(64 * 1024, 7));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const build = (output: string) =>
  buildImage({
    kernelPath: KERNEL,
    args: ['bench', '1'],
    blocks: [{ name: 'storage', path: join(work, 'disk.img') }],
    annotations: { 'org.example.team': 'unikernels' },
    reference: 'example/blocks:v2',
    output: join(work, output),
  });

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('the same inputs give the same bytes', async () => {
  await build('one.tar');
  await build('two.tar');
  expect(readFileSync(join(work, 'one.tar')).equals(readFileSync(join(work, 'two.tar')))).toBe(true);
});

test('an OCI layout (named for containerd) and a docker-save manifest, over blobs whose names are their digests', async () => {
  const built = await build('image.tar');
  const dir = join(work, 'x');
  mkdirSync(dir);
  execFileSync('tar', ['-C', dir, '-xf', join(work, 'image.tar')]);
  expect(readdirSync(dir).sort()).toEqual(['blobs', 'index.json', 'manifest.json', 'oci-layout']);
  for (const name of readdirSync(join(dir, 'blobs/sha256'))) expect(sha(readFileSync(join(dir, 'blobs/sha256', name)))).toBe(`sha256:${name}`);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  expect(index.manifests).toEqual([{
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: built.manifest.digest,
    size: built.manifest.size,
    platform: { architecture: 'amd64', os: 'linux' },
    annotations: { 'io.containerd.image.name': 'docker.io/example/blocks:v2', 'org.opencontainers.image.ref.name': 'v2' },
  }]);
  const docker = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  expect(docker).toEqual([{
    Config: `blobs/sha256/${built.config.digest.slice(7)}`,
    RepoTags: ['example/blocks:v2'],
    Layers: [`blobs/sha256/${built.layer.digest.slice(7)}`],
  }]);
  const config = JSON.parse(readFileSync(join(dir, docker[0].Config), 'utf8'));
  expect(config.config).toMatchObject({ Entrypoint: ['/unikernel/block-tester.hvt'], Cmd: ['bench', '1'] });
  expect(config.config.Labels).toEqual({ 'org.example.team': 'unikernels', 'org.runcc.block.storage': '/blocks/storage' });
  expect(config.rootfs.diff_ids).toEqual([built.layer.digest]);
});

test('unpacked, it is a bundle whose unikernel, arguments and block device runcc finds (also through /runcc.json)', async () => {
  await build('image.tar');
  await unpackImage({ image: join(work, 'image.tar'), bundle: join(work, 'bundle'), baseSpec: unikernelSpecTemplate() });
  expect(readFileSync(join(work, 'bundle/rootfs/unikernel/block-tester.hvt')).equals(readFileSync(KERNEL))).toBe(true);
  const bundle = loadBundle(join(work, 'bundle'));
  const expected = {
    kernelPath: join(work, 'bundle/rootfs/unikernel/block-tester.hvt'),
    guestArgs: ['bench', '1'],
    blocks: [{ name: 'storage', path: join(work, 'bundle/rootfs/blocks/storage') }],
  };
  expect(resolveUnikernel(bundle)).toMatchObject(expected);
  // Engines drop image labels: the rootfs's runcc.json still names the disk.
  expect(resolveUnikernel({ ...bundle, spec: { ...bundle.spec, annotations: {} } })).toMatchObject(expected);
});
