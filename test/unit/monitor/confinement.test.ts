// Who a confined monitor becomes, and the switch that leaves it unconfined; the drop itself is tested on real KVM.
import { confinementFromEnv } from '../../../src/monitor/monitor-config';
import { DEFAULT_MONITOR_ID, monitorIdentity } from '../../../src/monitor/confinement/privilege-drop';

test('confinement is on unless RUNCC_CONFINE=off, and carries the container user and the id overrides', () => {
  expect(confinementFromEnv({ RUNCC_CONFINE: 'off' })).toBeUndefined();
  expect(confinementFromEnv({}, { uid: 1000, gid: 1000 })).toEqual({
    user: { uid: 1000, gid: 1000 },
    env: { RUNCC_MONITOR_UID: undefined, RUNCC_MONITOR_GID: undefined },
  });
});

test('the monitor runs as the container user unless that is root, then as the dedicated id (or the override)', () => {
  expect(monitorIdentity({ user: { uid: 1000, gid: 100, additionalGids: [5, 6] }, env: {} }, '/run')).toEqual({
    uid: 1000,
    gid: 100,
    groups: [5, 6],
    scratchDir: '/run',
  });
  expect(monitorIdentity({ user: { uid: 0, gid: 0, additionalGids: [0] }, env: {} }, '/s')).toEqual({
    uid: DEFAULT_MONITOR_ID,
    gid: DEFAULT_MONITOR_ID,
    groups: [],
    scratchDir: '/s',
  });
  expect(monitorIdentity({ env: { RUNCC_MONITOR_UID: '4242', RUNCC_MONITOR_GID: '4343' } }, '/s')).toMatchObject({ uid: 4242, gid: 4343 });
  expect(() => monitorIdentity({ env: { RUNCC_MONITOR_UID: '0' } }, '/s')).toThrow('RUNCC_MONITOR_UID: "0" must be a non-zero numeric id');
  expect(() => monitorIdentity({ env: { RUNCC_MONITOR_GID: 'nobody' } }, '/s')).toThrow('RUNCC_MONITOR_GID: "nobody" must be a non-zero numeric id');
});
