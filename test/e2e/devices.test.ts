// Net and block devices on real KVM: TAPs in a private network namespace, flood pings, disk images.
// Messages and exit codes are solo5-hvt's (Solo5 hvt ABI reference §6).
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SLOWDOWN, monitorArgv, runMonitor, startProcess, unikernel } from './monitor-process';
import { TestNetwork } from './test-network';

jest.setTimeout(180_000 * SLOWDOWN);

const WITH_TAP_FD = join(ROOT, 'test/e2e/fixtures/with-tap-fd.js');

describe('network', () => {
  let network: TestNetwork | undefined;
  afterEach(() => {
    network?.destroy();
    network = undefined;
  });

  test('a flood ping of 10 000 requests gets every reply; the guest exits 0 after its limit', async () => {
    network = new TestNetwork([{ name: 'tap100', address: '10.0.0.1/24' }]);
    const monitor = startProcess(network.exec(monitorArgv(['--net:service0=tap100', '--', unikernel('net-responder'), '10000'])));
    await monitor.waitForStdout('ready\n');
    const ping = await network.ping(['-f', '-q', '-c', '10000', '-w', String(120 * SLOWDOWN), '10.0.0.2']);
    const result = await monitor.result;
    expect({ transmitted: ping.transmitted, received: ping.received }).toEqual({ transmitted: 10000, received: 10000 });
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^service0: MAC ([0-9a-f]{2}:){5}[0-9a-f]{2}, MTU is 1500, address 10\.0\.0\.2\nnetwork I\/O: ring\nready\nanswered 10000 echo requests\nSUCCESS\n$/);
    const mac = /MAC (\S+),/.exec(result.stdout)![1];
    expect(Number.parseInt(mac.slice(0, 2), 16) & 0b11).toBe(0b10); // unicast, locally administered
  });

  test('two interfaces on two TAPs, pinged at once', async () => {
    network = new TestNetwork([
      { name: 'tap100', address: '10.0.0.1/24' },
      { name: 'tap101', address: '10.1.0.1/24' },
    ]);
    const monitor = startProcess(
      network.exec(monitorArgv(['--net:service0=tap100', '--net:service1=tap101', unikernel('net-responder-2if'), '4000'])),
    );
    await monitor.waitForStdout('ready\n');
    const pings = await Promise.all([
      network.ping(['-f', '-q', '-c', '2000', '-w', String(120 * SLOWDOWN), '10.0.0.2']),
      network.ping(['-f', '-q', '-c', '2000', '-w', String(120 * SLOWDOWN), '10.1.0.2']),
    ]);
    const result = await monitor.result;
    expect(pings.map((p) => p.received)).toEqual([2000, 2000]);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    // ping -c with -w sends until it has its count of replies, so a reply still on its way makes it send more; the
    // guest answers what is queued before it checks its limit: at least the limit, at most what was sent.
    const answered = Number(/answered (\d+) echo requests\nSUCCESS\n/.exec(result.stdout)?.[1] ?? 0);
    const sent = pings.reduce((sum, ping) => sum + ping.transmitted, 0);
    expect({ answered, atLeastTheLimit: answered >= 4000, atMostSent: answered <= sent }).toEqual({ answered, atLeastTheLimit: true, atMostSent: true });
  });

  test('an MTU 9000 TAP reports 9000, carries jumbo frames, and --net-mac sets the MAC', async () => {
    network = new TestNetwork([{ name: 'tap102', address: '10.0.0.1/24', mtu: 9000 }]);
    const monitor = startProcess(
      network.exec(monitorArgv(['--net:service0=tap102', '--net-mac:service0=02:00:0a:00:00:02', unikernel('net-responder'), '4'])),
    );
    await monitor.waitForStdout('ready\n');
    const jumbo = await network.ping(['-c', '3', '-i', '0.2', '-s', '8900', '-M', 'do', '-w', String(30 * SLOWDOWN), '10.0.0.2']);
    expect(jumbo.received).toBe(3);
    // Read the neighbour table while the TAP is still open: closing it drops the carrier and the entry.
    expect(network.ip('neigh', 'show', 'dev', 'tap102')).toContain('10.0.0.2 lladdr 02:00:0a:00:00:02');
    await network.ping(['-c', '1', '-w', String(10 * SLOWDOWN), '10.0.0.2']);
    const result = await monitor.result;
    expect(result.stdout.startsWith('service0: MAC 02:00:0a:00:00:02, MTU is 9000, address 10.0.0.2\n')).toBe(true);
    expect(result).toMatchObject({ status: 0, stderr: '' });
  });

  test('--net:NAME=@FD adopts an inherited TAP fd', async () => {
    network = new TestNetwork([{ name: 'tap103', address: '10.0.0.1/24', mtu: 1400 }]);
    const monitor = startProcess(
      network.exec([process.execPath, WITH_TAP_FD, 'tap103', '--net:service0=@3', unikernel('net-responder'), '100']),
    );
    await monitor.waitForStdout('ready\n');
    const ping = await network.ping(['-f', '-q', '-c', '100', '-w', String(30 * SLOWDOWN), '10.0.0.2']);
    const result = await monitor.result;
    expect(ping.received).toBe(100);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toContain(', MTU is 1400, address 10.0.0.2\n');
  });

  test.each([
    ['a missing interface', '--net:service0=tap109', 'Could not attach interface: tap109: No such file or directory'],
    ['an interface that is down', '--net:service0=tapdown', 'Could not attach interface: tapdown: Network is down'],
    ['a name too long for an interface', '--net:service0=tap0123456789abcd', 'Could not attach interface: tap0123456789abcd: File name too long'],
    ['an inherited fd that is not open', '--net:service0=@42', 'Could not attach interface: @42: Bad file descriptor'],
    ['an inherited fd that is not a TAP', '--net:service0=@0', 'Could not attach interface: @0: Invalid argument'],
  ])('%s: message, Invalid option, usage, status 1', async (_what, option, message) => {
    network = new TestNetwork([{ name: 'tapdown', up: false }]);
    const result = await startProcess(network.exec(monitorArgv([option, unikernel('net-responder')]))).result;
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith(`runcc-hvt: ${message}\nruncc-hvt: Invalid option: \`${option}'\nusage: runcc-hvt `)).toBe(true);
    expect(result.stdout).toBe('');
  });

  test('a declared net device left unattached refuses to boot', async () => {
    const result = await runMonitor([unikernel('net-responder')]);
    expect(result).toMatchObject({
      status: 1,
      stdout: '',
      stderr:
        "runcc-hvt: Device 'service0' of type NET_BASIC declared but not attached.\n" +
        'runcc-hvt: All declared devices must be attached. See --help for syntax.\n',
    });
  });
});

describe('block', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcc-e2e-block-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function image(name: string, bytes: number): string {
    const path = join(dir, name);
    writeFileSync(path, '');
    truncateSync(path, bytes);
    return path;
  }

  test.each([512, 4096])('round trip on a 4 MiB image with %i-byte sectors', async (sector) => {
    const disk = image('disk.img', 4 * 1024 * 1024);
    const args = [`--block:storage=${disk}`, ...(sector === 512 ? [] : [`--block-sector-size:storage=${sector}`]), unikernel('block-tester')];
    const result = await runMonitor(args);
    expect(result).toMatchObject({
      status: 0,
      stderr: '',
      stdout: `capacity 4194304 bytes, block size ${sector}\nSUCCESS\n`,
    });
  });

  test.each<[string, number, number | undefined, RegExp]>([
    ['misaligned backing size', 6 * 1024, 4096, /^runcc-hvt: storage: Backing storage size must be block aligned \(4096 bytes\)\n$/],
    ['an odd sector size', 1563, 521, /^runcc-hvt: Block size must be a multiple of 2 greater than or equal 512\nruncc-hvt: Invalid option: `--block-sector-size:storage=521'\nusage: /],
    ['a sector size below 512', 256, 256, /^runcc-hvt: Block size must be a multiple of 2 greater than or equal 512\nruncc-hvt: Invalid option: `--block-sector-size:storage=256'\nusage: /],
    ['an empty backing file', 0, undefined, /^runcc-hvt: storage: Backing storage must be at least 1 block \(512 bytes\) in size\n$/],
  ])('%s is refused with status 1', async (_what, bytes, sector, stderr) => {
    const disk = image('disk.img', bytes);
    const args = [`--block:storage=${disk}`, ...(sector ? [`--block-sector-size:storage=${sector}`] : []), unikernel('block-tester')];
    const result = await runMonitor(args);
    expect(result.stderr).toMatch(stderr);
    expect(result).toMatchObject({ status: 1, stdout: '' });
  });

  test('a missing backing file is refused', async () => {
    const result = await runMonitor([`--block:storage=${join(dir, 'none.img')}`, unikernel('block-tester')]);
    expect(result).toMatchObject({
      status: 1,
      stderr: `runcc-hvt: Could not open block device: ${join(dir, 'none.img')}: No such file or directory\n`,
    });
  });

  test('63 block devices at once (the manifest maximum)', async () => {
    const args = Array.from({ length: 63 }, (_, i) => `--block:storage${i}=${image(`disk${i}.img`, 4096)}`);
    const result = await runMonitor([...args, unikernel('block-many')]);
    expect(result).toMatchObject({ status: 0, stdout: 'SUCCESS\n', stderr: '' });
  });
});

describe('hostile device requests', () => {
  let network: TestNetwork;
  let dir: string;
  beforeAll(() => {
    network = new TestNetwork([{ name: 'tap100', address: '10.0.0.1/24' }]);
    dir = mkdtempSync(join(tmpdir(), 'runcc-e2e-abuse-'));
    writeFileSync(join(dir, 'disk.img'), Buffer.alloc(4096));
  });
  afterAll(() => {
    network.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  function abuse(kind: string) {
    const args = ['--net:service0=tap100', `--block:storage=${join(dir, 'disk.img')}`, unikernel('hostile/device-abuse'), kind];
    return startProcess(network.exec(monitorArgv(args))).result;
  }

  test.each([
    ['net-write-data', /^runcc-hvt: NET_WRITE: Invalid guest access: gpa=0x1ffffff0, sz=64\n$/],
    ['net-read-len', /^runcc-hvt: NET_READ: Invalid guest access: gpa=0x[0-9a-f]+, sz=536870912\n$/],
    ['block-data', /^runcc-hvt: BLOCK_READ: Invalid guest access: gpa=0x1fffff00, sz=512\n$/],
  ])('%s ends the monitor with status 1', async (kind, stderr) => {
    const result = await abuse(kind);
    expect(result.stderr).toMatch(stderr);
    expect(result).toMatchObject({ status: 1, stdout: '' });
  });

  test.each([
    ['net-handle', "NET_WRITE with the block device's handle: EINVAL\n"],
    ['block-handle', 'BLOCK_READ with a handle past the manifest: EINVAL\n'],
  ])('%s: a handle of the wrong kind or out of range gets EINVAL', async (kind, stdout) => {
    const result = await abuse(kind);
    expect(result).toMatchObject({ status: 0, stdout, stderr: '' });
  });
});
