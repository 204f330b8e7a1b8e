// How a guest learns its IP configuration: words on its command line, in the format its unikernel family reads.

/** `none`: the guest's own arguments only, for a unikernel whose convention is not known (the default). */
export const NET_FORMATS = ['none', 'runcc', 'mirage', 'rumprun', 'unikraft'] as const;
export type NetConfigFormat = (typeof NET_FORMATS)[number];

/** The IPv4 configuration one guest net device takes over from a container interface. */
export interface GuestIpv4 {
  /** The manifest's NET_BASIC device name. */
  device: string;
  address: string;
  prefixLength: number;
  gateway?: string;
}

/**
 * The guest's full argument list: the network words for `interfaces` in `format`, and the container's own `args`.
 * - none: the args alone.
 * - runcc (our examples): `DEVICE.ipv4=A.B.C.D/N` and `DEVICE.gateway=A.B.C.D` per device, then the args.
 * - mirage: `--ipv4=A.B.C.D/N --ipv4-gateway=G` for the first device, then the args.
 * - unikraft: `netdev.ip=A.B.C.D/N:G` for the first device, `--`, then the args.
 * - rumprun: one JSON word `{"cmdline":ARGS,"net":{…static…}}` for the first device.
 */
export function guestArgs(format: NetConfigFormat, interfaces: readonly GuestIpv4[], args: readonly string[]): string[] {
  // A guest without network devices keeps its own command line in every format.
  if (interfaces.length === 0 || format === 'none') return [...args];
  const first = interfaces[0];
  switch (format) {
    case 'runcc':
      return [
        ...interfaces.flatMap((i) => [`${i.device}.ipv4=${i.address}/${i.prefixLength}`, ...(i.gateway ? [`${i.device}.gateway=${i.gateway}`] : [])]),
        ...args,
      ];
    case 'mirage':
      return [`--ipv4=${first.address}/${first.prefixLength}`, ...(first.gateway ? [`--ipv4-gateway=${first.gateway}`] : []), ...args];
    case 'unikraft':
      return [`netdev.ip=${first.address}/${first.prefixLength}${first.gateway ? `:${first.gateway}` : ''}`, '--', ...args];
    case 'rumprun': {
      const net = {
        if: 'ukvmif0',
        cloner: 'True',
        type: 'inet',
        method: 'static',
        addr: first.address,
        mask: String(first.prefixLength),
        ...(first.gateway ? { gw: first.gateway } : {}),
      };
      return [JSON.stringify({ cmdline: args.join(' '), net })];
    }
  }
}
