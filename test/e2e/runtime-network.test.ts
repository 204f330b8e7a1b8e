// Container networking and storage on real KVM: a network namespace wired like docker's or CNI's (a veth pair, the
// container side eth0 with 10.88.0.2/24), the guest taking eth0 over through a TAP and tc redirects, pinged from
// the host; block devices from bind mounts; urunc-style images. Nothing runcc created may remain afterwards.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNCC, SLOWDOWN, startProcess } from './monitor-process';
import { RuntimeHarness, waitUntil } from './runtime-harness';
import { PingSummary, runPing } from './test-network';
import { VethNamespace } from './veth-namespace';

jest.setTimeout(60_000 * SLOWDOWN);

const harness = new RuntimeHarness();
afterAll(() => harness.cleanup());

function hostPing(args: string[]): Promise<PingSummary> {
  return runPing(['ping', ...args]);
}

describe('a container in a netns with a veth pair', () => {
  let veth: VethNamespace;
  beforeEach(() => {
    veth = new VethNamespace();
  });
  afterEach(() => veth.destroy());

  const netBundle = (args: string[]): string =>
    harness.bundle('net-responder', args, (config) => {
      config.linux.namespaces = [{ type: 'network', path: veth.path }];
    });

  test('the guest takes eth0 over (MAC, IP): the host pings it; guest exit and delete leave no TAP and eth0 closed', async () => {
    const creator = startProcess([process.execPath, RUNCC, '--root', harness.root, 'create', '--bundle', netBundle(['200']), 'n-ping']);
    await waitUntil(() => existsSync(join(harness.root, 'n-ping', 'runcc.json')) && harness.state('n-ping').status === 'created', 30_000 * SLOWDOWN);
    // Nothing is wired before start: an engine configures eth0 after create.
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'none' });
    expect(harness.runcc(['start', 'n-ping'])).toMatchObject({ status: 0, stderr: '' });
    await creator.waitForStdout('ready\n');
    const running = veth.leftovers();
    expect(running.links).toEqual([expect.stringMatching(/^rcc[0-9a-f]{8}n0$/)]);
    expect(running.ingress).toBe('redirect');

    const ping = await hostPing(['-c', '200', '-i', '0.01', '-w', String(60 * SLOWDOWN), '10.88.0.2']);
    expect({ transmitted: ping.transmitted, received: ping.received }).toEqual({ transmitted: 200, received: 200 });
    const result = await creator.result;
    expect(result.stdout).toBe(`service0: MAC ${veth.macOfEth0()}, MTU is 1500, address 10.88.0.2\nnetwork I/O: ring\nready\nanswered 200 echo requests\nSUCCESS\n`);
    expect(result.status).toBe(0);
    await waitUntil(() => harness.state('n-ping').status === 'stopped', 10_000 * SLOWDOWN);
    // The guest is gone: eth0 keeps its address for the engine, but nothing answers for it.
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
    expect((await hostPing(['-c', '3', '-i', '0.2', '-W', '2', '10.88.0.2'])).received).toBe(0);
    expect(harness.runcc(['delete', 'n-ping'])).toMatchObject({ status: 0, stderr: '' });
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
  });

  test('delete --force of a running container removes its wiring after the monitor is killed', async () => {
    const creator = startProcess([process.execPath, RUNCC, '--root', harness.root, 'create', '--bundle', netBundle([]), 'n-force']);
    await waitUntil(() => existsSync(join(harness.root, 'n-force', 'runcc.json')) && harness.state('n-force').status === 'created', 30_000 * SLOWDOWN);
    harness.runcc(['start', 'n-force']);
    await creator.waitForStdout('ready\n');
    expect((await hostPing(['-c', '3', '-i', '0.2', '-w', String(30 * SLOWDOWN), '10.88.0.2'])).received).toBe(3);
    // The guest itself answered them (it counts what it served once traffic stops).
    await creator.waitForStdout('answered 3 echo requests so far\n');
    expect(veth.leftovers().links).toHaveLength(1);
    const monitorPid = harness.state('n-force').pid;
    expect(harness.runcc(['delete', '--force', 'n-force'])).toMatchObject({ status: 0, stderr: '' });
    await creator.result; // the container's stdout closed: the monitor is gone
    expect(existsSync(`/proc/${monitorPid}`)).toBe(false);
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
    expect(existsSync(join(harness.root, 'n-force'))).toBe(false);
  });

  test('a guest that exits right after start is stopped, and its address answers nothing afterwards', async () => {
    const dir = harness.bundle('args-net', ['verbose'], (config) => {
      config.linux.namespaces = [{ type: 'network', path: veth.path }];
    });
    const log = join(harness.work, 'n-gone.log');
    const creator = startProcess([process.execPath, RUNCC, '--root', harness.root, '--debug', '--log', log, 'create', '--bundle', dir, 'n-gone']);
    await waitUntil(() => existsSync(join(harness.root, 'n-gone', 'runcc.json')) && harness.state('n-gone').status === 'created', 30_000 * SLOWDOWN);
    expect(harness.runcc(['start', 'n-gone'])).toMatchObject({ status: 0, stderr: '' });
    // Its arguments are its own: nothing declares or shows which words it would read.
    expect((await creator.result).stdout).toBe("Command line: 'verbose'\n");
    expect(readFileSync(log, 'utf8')).toContain(
      'level=debug msg="network format none: nothing declares a format and the kernel carries no evidence of one: the guest gets its own arguments"',
    );
    await waitUntil(() => harness.state('n-gone').status === 'stopped', 10_000 * SLOWDOWN);
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
    expect((await hostPing(['-c', '3', '-i', '0.2', '-W', '2', '10.88.0.2'])).received).toBe(0);
    expect(harness.runcc(['delete', 'n-gone'])).toMatchObject({ status: 0, stderr: '' });
    // The next guest in the namespace takes the closed interface over and answers again.
    const next = startProcess([process.execPath, RUNCC, '--root', harness.root, 'run', '--bundle', netBundle(['3']), 'n-next']);
    await next.waitForStdout('ready\n');
    expect((await hostPing(['-c', '3', '-i', '0.2', '-w', String(30 * SLOWDOWN), '10.88.0.2'])).received).toBe(3);
    expect(await next.result).toMatchObject({ status: 0, stdout: expect.stringContaining('answered 3 echo requests\nSUCCESS\n') });
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
  });

  test('the guest command line: its own arguments unless a format is declared or detected (a table)', () => {
    const runcc = 'service0.ipv4=10.88.0.2/24 service0.gateway=10.88.0.1 a b';
    const rumprun = JSON.stringify({ cmdline: 'a b', net: { if: 'ukvmif0', cloner: 'True', type: 'inet', method: 'static', addr: '10.88.0.2', mask: '24', gw: '10.88.0.1' } });
    const cases: [kernel: string, declared: string | undefined, cmdline: string][] = [
      ['args-net', undefined, 'a b'],
      ['families/mirage-stripped', undefined, 'a b'],
      ['families/ocaml-only', undefined, 'a b'],
      ['args-net-runcc', undefined, runcc],
      ['families/mirage', undefined, '--ipv4=10.88.0.2/24 --ipv4-gateway=10.88.0.1 a b'],
      ['families/unikraft', undefined, 'netdev.ip=10.88.0.2/24:10.88.0.1 -- a b'],
      ['families/rumprun', undefined, rumprun],
      ['args-net', 'runcc', runcc],
      ['args-net', 'mirage', '--ipv4=10.88.0.2/24 --ipv4-gateway=10.88.0.1 a b'],
      ['args-net', 'unikraft', 'netdev.ip=10.88.0.2/24:10.88.0.1 -- a b'],
      ['args-net', 'rumprun', rumprun],
      ['args-net-runcc', 'none', 'a b'],
    ];
    const seen = cases.map(([kernel, declared], index) => {
      const dir = harness.bundle(kernel, ['a', 'b'], (config) => {
        config.linux.namespaces = [{ type: 'network', path: veth.path }];
        if (declared) config.annotations = { 'org.runcc.net-format': declared };
      });
      const r = harness.runcc(['run', '--bundle', dir, `n-format${index}`]);
      return [kernel, declared, r.status === 0 ? /^Command line: '(.*)'\n$/s.exec(r.stdout)?.[1] ?? r.stdout : `status ${r.status}: ${r.stderr}`];
    });
    expect(seen).toEqual(cases);
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'closed' });
  });

  test('two unikernels started at once share the namespace, each claiming its own interface', async () => {
    veth.addSecondInterface();
    const first = startProcess([process.execPath, RUNCC, '--root', harness.root, 'create', '--bundle', netBundle(['20']), 'n-share1']);
    const second = startProcess([process.execPath, RUNCC, '--root', harness.root, 'create', '--bundle', netBundle(['20']), 'n-share2']);
    for (const id of ['n-share1', 'n-share2']) {
      await waitUntil(() => existsSync(join(harness.root, id, 'runcc.json')) && harness.state(id).status === 'created', 30_000 * SLOWDOWN);
    }
    harness.runcc(['start', 'n-share1']);
    harness.runcc(['start', 'n-share2']);
    await Promise.all([first.waitForStdout('ready\n'), second.waitForStdout('ready\n')]);
    const pings = await Promise.all([
      hostPing(['-c', '20', '-i', '0.05', '-w', String(60 * SLOWDOWN), '10.88.0.2']),
      hostPing(['-c', '20', '-i', '0.05', '-w', String(60 * SLOWDOWN), '10.87.0.2']),
    ]);
    expect(pings.map((p) => p.received)).toEqual([20, 20]);
    const outputs = [(await first.result).stdout, (await second.result).stdout];
    const guestLine = /, address (\S+)\nnetwork I\/O: ring\nready\nanswered (\d+) echo requests\nSUCCESS\n$/;
    for (const output of outputs) expect(output).toMatch(guestLine);
    const answered = new Map(outputs.map((o) => guestLine.exec(o)!.slice(1, 3) as [string, string]));
    expect([...answered.keys()].sort()).toEqual(['10.87.0.2', '10.88.0.2']);
    // A guest ends after its 20th answer, but ping -w sends more than -c when replies are late, and a request that
    // came in the same batch as the 20th is answered too: each count lies between its ping's received and sent.
    for (const [address, ping] of [['10.88.0.2', pings[0]], ['10.87.0.2', pings[1]]] as const) {
      expect(Number(answered.get(address))).toBeGreaterThanOrEqual(20);
      expect(Number(answered.get(address))).toBeLessThanOrEqual(ping.transmitted);
    }
    for (const id of ['n-share1', 'n-share2']) {
      await waitUntil(() => harness.state(id).status === 'stopped', 10_000 * SLOWDOWN);
      expect(harness.runcc(['delete', id]).status).toBe(0);
    }
    expect(veth.leftovers('eth0')).toEqual({ links: [], ingress: 'closed' });
    expect(veth.leftovers('eth1')).toEqual({ links: [], ingress: 'closed' });
  });

  test('a guest without net devices is not wired, though eth0 is there and a network format is chosen', async () => {
    const dir = harness.bundle('hello', [], (config) => {
      config.linux.namespaces = [{ type: 'network', path: veth.path }];
      config.annotations = { 'org.runcc.net-format': 'mirage' };
    });
    const r = harness.runcc(['run', '--bundle', dir, 'n-hello']);
    expect(r).toMatchObject({ status: 0, stdout: "Hello from a runcc unikernel!\nCommand line: ''\n" });
    expect(veth.leftovers()).toEqual({ links: [], ingress: 'none' });
  });
});

test('a guest with a net device in a netns without an IPv4 interface stops with a message naming the device', () => {
  const r = harness.runcc(['run', '--bundle', harness.bundle('net-responder', ['1']), 'n-none']);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(
    "runcc: the unikernel's net device service0 has no interface: the container's network namespace has 0 free interfaces with an IPv4 address (none)\n",
  );
  expect(existsSync(join(harness.root, 'n-none'))).toBe(false);
});

describe('block devices from bind mounts', () => {
  test('a file bind-mounted at /storage is the guest block device storage', () => {
    const disk = join(harness.work, 'disk.img');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    const dir = harness.bundle('block-tester', [], (config) => {
      config.mounts = [{ destination: '/storage', type: 'bind', source: disk, options: ['rbind', 'rw'] }];
    });
    const r = harness.runcc(['run', '--bundle', dir, 'b-mount']);
    expect(r.stdout).toContain('SUCCESS\n');
    expect(r.status).toBe(0);
  });

  test('without the mount, create fails naming the device and leaves nothing', () => {
    const r = harness.runcc(['create', '--bundle', harness.bundle('block-tester', []), 'b-none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^time="[^"]+" level=error msg="the unikernel's block device storage has nothing attached: bind-mount a file or block device at \/storage"\n$/,
    );
    expect(existsSync(join(harness.root, 'b-none'))).toBe(false);
  });
});

test('an image made for urunc: /urunc.json (base64 values) names the binary and its command line', () => {
  const dir = harness.bundle('hello', [], (config) => {
    config.process.args = ['/bin/sh'];
  });
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  writeFileSync(
    join(dir, 'rootfs/urunc.json'),
    JSON.stringify({
      'com.urunc.unikernel.binary': b64('/unikernel.hvt'),
      'com.urunc.unikernel.cmdline': b64('from urunc.json'),
      'com.urunc.unikernel.hypervisor': b64('hvt'),
      'com.urunc.unikernel.unikernelType': b64('rumprun'),
    }),
  );
  const r = harness.runcc(['run', '--bundle', dir, 'u-json']);
  expect(r).toMatchObject({ status: 0, stdout: "Hello from a runcc unikernel!\nCommand line: 'from urunc.json'\n", stderr: '' });
});
