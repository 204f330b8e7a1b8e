// Solo5's shared-memory network ring on real KVM, and the hypercall path with the ring switched off: the same guest
// (net-responder, two interfaces, one of MTU 9000) under both, in one monitor start each. It checks the payload
// pattern of every echo request and every byte of the bulk datagrams it echoes; the bulk client checks every byte
// that comes back. Then SIGTERM while a flood runs, and one-way bulk transfers each way with net-bulk, whose
// receiving end (the guest, then the host) checks every byte. Hostile ring guests end the monitor with the message and status 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SLOWDOWN, monitorArgv, startProcess, unikernel } from './monitor-process';
import { PingSummary, TestNetwork, runPing } from './test-network';
import { RunningMonitor } from './monitor-process';

/**
 * The longest a test waits for one line of the monitor's, and for one ping or bulk run: each well inside the test's
 * own limit, so that a stall fails with what the guest and ping said rather than with jest's bare timeout.
 */
const LINE_TIMEOUT_MS = 20_000 * SLOWDOWN;
const STEP_SECONDS = 30 * SLOWDOWN;

/**
 * Waits for `text` on the monitor's stdout; fails (instead of waiting forever) when the monitor exits first or the
 * line does not come in LINE_TIMEOUT_MS, saying what the monitor printed.
 */
async function until(monitor: RunningMonitor, text: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const exited = monitor.result.then((result) => {
    throw new Error(`the monitor exited (${result.status}) before printing ${JSON.stringify(text)}: ${result.stdout}${result.stderr}`);
  });
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} from the monitor in ${LINE_TIMEOUT_MS / 1000} s; it printed: ${monitor.stdout()}`)), LINE_TIMEOUT_MS);
  });
  try {
    await Promise.race([monitor.waitForStdout(text), exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a line matching `pattern` on the monitor's stdout, as `until` does; resolves to the match. */
async function untilMatch(monitor: RunningMonitor, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + LINE_TIMEOUT_MS;
  for (;;) {
    const match = pattern.exec(monitor.stdout());
    if (match) return match;
    if (monitor.child.exitCode !== null || monitor.child.signalCode !== null) throw new Error(`the monitor exited before printing ${pattern}: ${monitor.stdout()}`);
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} from the monitor in ${LINE_TIMEOUT_MS / 1000} s; it printed: ${monitor.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

jest.setTimeout(90_000 * SLOWDOWN);

const BULK_CLIENT = join(ROOT, 'test/e2e/fixtures/udp-bulk-client.js');
const BULK_PEER = join(ROOT, 'test/e2e/fixtures/udp-bulk-peer.js');
const FLOOD = 10_000;
const SECOND_FLOOD = 2_000;
/**
 * Every request of `ping -c N -w` answered: ping sends past N while replies are late and counts the replies to
 * those too, so at least N and at most what it sent came back.
 */
const answeredAll = (ping: PingSummary, count: number): boolean => ping.received >= count && ping.received <= ping.transmitted;
const JUMBO = 3;
const BULK_DATAGRAMS = 2_000;
const BULK_SIZE = 1472;

describe.each([
  ['ring', {}],
  ['hypercalls', { RUNCC_NET_RING: 'off' }],
] as const)('network I/O through the %s', (path, env) => {
  let network: TestNetwork | undefined;
  let running: ReturnType<typeof startProcess> | undefined;
  // A failed assertion must not leave the monitor answering (and taking CPU) for the rest of the suite.
  afterAll(() => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    network?.destroy();
  });

  test('flood pings with a checked pattern on two interfaces, jumbo frames, a checked bulk transfer, SIGTERM under load', async () => {
    network = new TestNetwork([
      { name: 'tap100', address: '10.0.0.1/24' },
      { name: 'tap101', address: '10.1.0.1/24', mtu: 9000 },
    ]);
    const monitor = startProcess(
      network.exec(monitorArgv(['--net:service0=tap100', '--net:service1=tap101', '--', unikernel('net-responder-2if'), 'pattern=deadbeef'])),
      env,
    );
    running = monitor;
    await until(monitor, 'ready\n');
    const wait = String(STEP_SECONDS);
    const pings = await Promise.all([
      network.ping(['-f', '-q', '-c', String(FLOOD), '-p', 'deadbeef', '-w', wait, '10.0.0.2']),
      network.ping(['-f', '-q', '-c', String(SECOND_FLOOD), '-p', 'deadbeef', '-w', wait, '10.1.0.2']),
    ]);
    // What the guest printed, and ping's own summary, say why when a flood falls short.
    const counts = [FLOOD, SECOND_FLOOD];
    expect({ all: pings.map((ping, i) => answeredAll(ping, counts[i])), received: pings.map((ping) => ping.received), guest: monitor.stdout(), ping: pings.map((ping) => ping.output.split('\n').slice(-4).join('\n')) }).toEqual({
      all: [true, true],
      received: expect.any(Array),
      guest: expect.any(String),
      ping: expect.any(Array),
    });
    const jumbo = await network.ping(['-c', String(JUMBO), '-i', '0.2', '-s', '8900', '-M', 'do', '-p', 'deadbeef', '-w', String(STEP_SECONDS), '10.1.0.2']);
    expect({ all: answeredAll(jumbo, JUMBO), received: jumbo.received }).toEqual({ all: true, received: expect.any(Number) });

    const bulk = await runPing(
      network.exec([process.execPath, BULK_CLIENT, '10.0.0.2', '7', String(BULK_DATAGRAMS), String(BULK_SIZE), '32', String(STEP_SECONDS * 1000)]),
    );
    expect({ bulk: JSON.parse(bulk.output), guest: monitor.stdout() }).toMatchObject({
      bulk: { datagrams: BULK_DATAGRAMS, bytes: BULK_DATAGRAMS * BULK_SIZE },
      guest: expect.any(String),
    });
    // ping -w sends more than -c when a reply is late (it stops at -c replies), and the guest answers those too: it
    // answered at least what ping counted and at most what ping sent, and found the pattern in every one.
    const report = await untilMatch(
      monitor,
      new RegExp(`answered (\\d+) echo requests so far, (\\d+) with the pattern, echoed ${BULK_DATAGRAMS} bulk datagrams \\(${BULK_DATAGRAMS * BULK_SIZE} bytes checked\\)\n`),
    );
    const answered = Number(report[1]);
    const sent = pings[0].transmitted + pings[1].transmitted + jumbo.transmitted;
    expect({ answered, withPattern: Number(report[2]) }).toEqual({ answered: expect.any(Number), withPattern: answered });
    expect(answered).toBeGreaterThanOrEqual(FLOOD + SECOND_FLOOD + JUMBO);
    expect(answered).toBeLessThanOrEqual(sent);

    const flood = network.ping(['-f', '-q', '-c', '1000000', '-p', 'deadbeef', '-w', String(60 * SLOWDOWN), '10.0.0.2']);
    await new Promise((resolve) => setTimeout(resolve, 1000 * SLOWDOWN));
    const sentAt = process.hrtime.bigint();
    monitor.child.kill('SIGTERM');
    // The stop bound is the monitor's answer to the signal: it reports it as soon as its handler runs (the vCPU loop
    // interrupted under the flood); the exit after it (node ending the ring's worker, the kernel freeing the VM) is
    // bounded more loosely.
    await monitor.waitForStderr('Exiting on signal 15\n');
    const stopMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    const result = await monitor.result;
    const exitMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    await flood;
    expect(result).toMatchObject({ status: 1, stderr: 'runcc-hvt: Exiting on signal 15\n' });
    expect(stopMs).toBeLessThan(100 * SLOWDOWN);
    expect(exitMs).toBeLessThan(300 * SLOWDOWN);
    expect(result.stdout).toContain(`network I/O: ${path}\n`);
    expect(result.stdout).toContain('service1: MAC ');
    expect(result.stdout).toContain(', MTU is 9000, address 10.1.0.2\n');
  });

  test('one-way bulk transfers with net-bulk, host to guest and guest to host, every byte checked by the receiver', async () => {
    const bulkNetwork = new TestNetwork([{ name: 'tap100', address: '10.0.0.1/24' }]);
    try {
      const received = startProcess(bulkNetwork.exec(monitorArgv(['--net:service0=tap100', unikernel('net-bulk'), 'receive', String(BULK_DATAGRAMS)])), env);
      running = received;
      await until(received, 'ready\n');
      const hostSent = await runPing(
        bulkNetwork.exec([process.execPath, BULK_PEER, 'send', '10.0.0.2', String(BULK_DATAGRAMS), String(BULK_SIZE), '64', String(STEP_SECONDS * 1000)]),
      );
      const guestReceived = await received.result;
      expect({ host: JSON.parse(hostSent.output), status: guestReceived.status, stderr: guestReceived.stderr }).toMatchObject({
        host: { datagrams: BULK_DATAGRAMS, bytes: BULK_DATAGRAMS * BULK_SIZE },
        status: 0,
        stderr: '',
      });
      expect(guestReceived.stdout).toMatch(new RegExp(`\nreceived ${BULK_DATAGRAMS} datagrams \\(${BULK_DATAGRAMS * BULK_SIZE} bytes checked\\) in \\d+ ns\nSUCCESS\n$`));
      expect(guestReceived.stdout).toContain(`network I/O: ${path}\n`);

      const sender = startProcess(
        bulkNetwork.exec(monitorArgv(['--net:service0=tap100', unikernel('net-bulk'), 'send', String(BULK_DATAGRAMS), String(BULK_SIZE)])),
        env,
      );
      running = sender;
      await until(sender, 'ready\n');
      const hostReceived = await runPing(bulkNetwork.exec([process.execPath, BULK_PEER, 'receive', '10.0.0.2', String(BULK_DATAGRAMS), String(STEP_SECONDS * 1000)]));
      const guestSent = await sender.result;
      expect({ host: JSON.parse(hostReceived.output), status: guestSent.status, stderr: guestSent.stderr }).toMatchObject({
        host: { datagrams: BULK_DATAGRAMS, bytes: BULK_DATAGRAMS * BULK_SIZE },
        status: 0,
        stderr: '',
      });
      expect(guestSent.stdout).toMatch(new RegExp(`\nsent ${BULK_DATAGRAMS} datagrams \\(${BULK_DATAGRAMS * BULK_SIZE} bytes\\), all acknowledged, in \\d+ ns\nSUCCESS\n$`));
      expect(guestSent.stdout).toContain(`network I/O: ${path}\n`);
    } finally {
      if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      bulkNetwork.destroy();
    }
  });
});

/** Voluntary context switches of a process's main thread so far: each one is a wake-up after sleeping. */
function mainThreadWakeUps(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)![1]);
}

test('a guest idle in POLL is not woken by the 20 ms stop tick, and SIGTERM still stops it promptly', async () => {
  const network = new TestNetwork([{ name: 'tap100', address: '10.0.0.1/24' }]);
  try {
    const monitor = startProcess(network.exec(monitorArgv(['--net:service0=tap100', unikernel('net-responder')])));
    await until(monitor, 'ready\n');
    await new Promise((resolve) => setTimeout(resolve, 1000 * SLOWDOWN));
    const pid = monitor.child.pid!;
    const before = mainThreadWakeUps(pid);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const wakeUps = mainThreadWakeUps(pid) - before;
    // The tick alone would be 150 in 3 s; the guest's own 1 s POLL timeouts cost a few each.
    expect(wakeUps).toBeLessThan(40);
    const sentAt = process.hrtime.bigint();
    monitor.child.kill('SIGTERM');
    const result = await monitor.result;
    expect(Number(process.hrtime.bigint() - sentAt) / 1e6).toBeLessThan(100 * SLOWDOWN);
    expect(result).toMatchObject({ status: 1, stderr: 'runcc-hvt: Exiting on signal 15\n' });
  } finally {
    network.destroy();
  }
});

describe('a hostile guest breaking the ring’s rules ends the monitor with status 1', () => {
  let network: TestNetwork;
  beforeAll(() => {
    network = new TestNetwork([{ name: 'tap100', address: '10.0.0.1/24' }]);
  });
  afterAll(() => network.destroy());

  function abuse(kind: string): ReturnType<typeof startProcess> {
    return startProcess(network.exec(monitorArgv(['--net:service0=tap100', unikernel('hostile/ring-abuse'), kind])));
  }

  test.each([
    ['ent-tail', /^runcc-hvt: net ring: ent_tail=5000 is 5000 entries ahead of ent_head=0 \(the ring has 1024\)\n$/],
    ['slot-length', /^runcc-hvt: net ring: NET_WRITE entry 0: length 4096 exceeds the 2048-byte slot\n$/],
    ['entry-data', /^runcc-hvt: NET_WRITE \(net ring\): Invalid guest access: gpa=0x1ffffff0, sz=64\n$/],
    ['com-head', /^runcc-hvt: net ring: com_head=7 is out of range \(com_tail=0, the ring has 1024\)\n$/],
  ])('%s', async (kind, stderr) => {
    const result = await abuse(kind).result;
    expect(result.stdout).toBe(`${kind}: abusing the ring\n`);
    expect(result.stderr).toMatch(stderr);
    expect(result.status).toBe(1);
  });

  test('a kick storm leaves the monitor responsive: SIGTERM ends it promptly', async () => {
    const monitor = abuse('kick-storm');
    await until(monitor, 'kick-storm: abusing the ring\n');
    await new Promise((resolve) => setTimeout(resolve, 1000 * SLOWDOWN));
    const sentAt = process.hrtime.bigint();
    monitor.child.kill('SIGTERM');
    const result = await monitor.result;
    expect(Number(process.hrtime.bigint() - sentAt) / 1e6).toBeLessThan(100 * SLOWDOWN);
    expect(result).toMatchObject({ status: 1, stderr: 'runcc-hvt: Exiting on signal 15\n' });
  });
});
