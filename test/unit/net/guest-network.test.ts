// The network pieces that need no namespace: reading `ip -json`/`tc -json` output, TAP names, guest arguments.
import { tapName } from '../../../src/net/container-network';
import { guestArgs } from '../../../src/net/guest-network-args';
import { CLOSED_PREF, REDIRECT_PREF, isClosedIngress, parseIngressInterfaces, parseIpv4Interfaces } from '../../../src/net/netns-interfaces';

const addrs = [
  { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'eth1', link_type: 'ether', address: '02:42:0a:01:00:05', mtu: 9000, addr_info: [{ family: 'inet', local: '10.1.0.5', prefixlen: 16 }] },
  { ifname: 'eth0', link_type: 'ether', address: '02:42:ac:11:00:02', mtu: 1500, addr_info: [
    { family: 'inet6', local: 'fe80::42:acff:fe11:2', prefixlen: 64 },
    { family: 'inet', local: '172.17.0.2', prefixlen: 16 },
  ] },
  { ifname: 'eth2', link_type: 'ether', address: '02:00:00:00:00:09', mtu: 1500, addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
];
const routes = [{ dst: 'default', gateway: '172.17.0.1', dev: 'eth0' }, { dst: '10.9.0.0/16', gateway: '10.1.0.1', dev: 'eth1' }];

test('interfaces: ethernet with IPv4 only, sorted by name, with the default gateway where it leaves', () => {
  expect(parseIpv4Interfaces(addrs, routes, new Set())).toEqual([
    { ifname: 'eth0', mac: '02:42:ac:11:00:02', mtu: 1500, address: '172.17.0.2', prefixLength: 16, gateway: '172.17.0.1' },
    { ifname: 'eth1', mac: '02:42:0a:01:00:05', mtu: 9000, address: '10.1.0.5', prefixLength: 16 },
  ]);
});

test('interfaces with an ingress qdisc are taken by another guest and skipped', () => {
  const taken = parseIngressInterfaces([
    { kind: 'noqueue', dev: 'lo' },
    { kind: 'ingress', handle: 'ffff:', dev: 'eth0', parent: 'ffff:fff1' },
  ]);
  expect([...taken]).toEqual(['eth0']);
  expect(parseIpv4Interfaces(addrs, routes, taken).map((i) => i.ifname)).toEqual(['eth1']);
  expect(parseIpv4Interfaces([], [], new Set())).toEqual([]);
});

test("an ingress holding only a gone guest's drop-all is closed (free to claim); one with a redirect is not", () => {
  const closedFilter = [{ parent: 'ffff:', protocol: 'all', pref: CLOSED_PREF, kind: 'u32' }, { parent: 'ffff:', protocol: 'all', pref: CLOSED_PREF, kind: 'u32', options: {} }];
  const redirect = [{ parent: 'ffff:', protocol: 'all', pref: REDIRECT_PREF, kind: 'u32' }];
  expect(isClosedIngress(closedFilter)).toBe(true);
  expect(isClosedIngress([...closedFilter, ...redirect])).toBe(false);
  expect(isClosedIngress(redirect)).toBe(false);
  // A qdisc without filters is a claim in progress (or someone else's): taken.
  expect(isClosedIngress([])).toBe(false);
});

test('TAP names are per container and device, and fit IFNAMSIZ', () => {
  expect(tapName('abc', 0)).toMatch(/^rcc[0-9a-f]{8}n0$/);
  expect(tapName('abc', 0)).not.toBe(tapName('abd', 0));
  expect(tapName('abc', 0)).not.toBe(tapName('abc', 1));
  expect(tapName('x'.repeat(1024), 9).length).toBeLessThan(16);
});

const one = [{ device: 'service0', address: '10.88.0.2', prefixLength: 24, gateway: '10.88.0.1' }];
const two = [...one, { device: 'service1', address: '10.1.0.7', prefixLength: 16 }];

test('runcc format: DEVICE.ipv4 and DEVICE.gateway words for every device, then the args', () => {
  expect(guestArgs('runcc', two, ['100'])).toEqual(['service0.ipv4=10.88.0.2/24', 'service0.gateway=10.88.0.1', 'service1.ipv4=10.1.0.7/16', '100']);
});

test('mirage, unikraft and rumprun formats describe the first device', () => {
  expect(guestArgs('mirage', two, ['--hello=x'])).toEqual(['--ipv4=10.88.0.2/24', '--ipv4-gateway=10.88.0.1', '--hello=x']);
  expect(guestArgs('unikraft', one, ['a'])).toEqual(['netdev.ip=10.88.0.2/24:10.88.0.1', '--', 'a']);
  const [json, ...rest] = guestArgs('rumprun', one, ['/bin/redis', '--port', '6379']);
  expect(rest).toEqual([]);
  expect(JSON.parse(json)).toEqual({
    cmdline: '/bin/redis --port 6379',
    net: { if: 'ukvmif0', cloner: 'True', type: 'inet', method: 'static', addr: '10.88.0.2', mask: '24', gw: '10.88.0.1' },
  });
});

test('a guest without network devices keeps its own arguments in every format; format none never adds words', () => {
  for (const format of ['none', 'runcc', 'mirage', 'unikraft', 'rumprun'] as const) expect(guestArgs(format, [], ['a', 'b'])).toEqual(['a', 'b']);
  expect(guestArgs('none', two, ['verbose'])).toEqual(['verbose']);
  expect(guestArgs('none', one, [])).toEqual([]);
});
