// Matches the devices named on the command line with the unikernel's manifest, and refuses to boot while a
// declared device is left unattached (ABI reference §2.2.4).
import { MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC } from '../../solo5/abi';
import { Manifest, ManifestDeviceType, deviceTypeName } from '../../solo5/manifest';
import { MonitorConfig } from '../monitor-config';
import { MonitorError } from '../monitor-error';

function declaredIndex(manifest: Manifest, name: string, type: ManifestDeviceType): number {
  const index = manifest.find(name, type);
  if (index < 0) throw new MonitorError(`Resource not declared in manifest: '${name}'`, 1, true);
  return index;
}

/**
 * Resolves every --block/--net NAME against the manifest. Device backends (TAP, files) are attached by the net and
 * block modules; until they are built in, naming a declared device is refused with a clear message.
 */
export function attachDevices(config: MonitorConfig, manifest: Manifest): void {
  for (const block of config.blocks) {
    declaredIndex(manifest, block.name, MFT_DEV_BLOCK_BASIC);
    throw new MonitorError(`--block:${block.name}: block devices are not supported by this runcc build yet`);
  }
  for (const net of config.nets) {
    declaredIndex(manifest, net.name, MFT_DEV_NET_BASIC);
    throw new MonitorError(`--net:${net.name}: network devices are not supported by this runcc build yet`);
  }
}

/** Ends the monitor when the manifest declares devices that nothing attached. */
export function requireAllAttached(manifest: Manifest): void {
  const missing = manifest.unattachedDevices();
  if (missing.length === 0) return;
  const lines = missing.map((d) => `Device '${d.name}' of type ${deviceTypeName(d.type)} declared but not attached.`);
  lines.push('All declared devices must be attached. See --help for syntax.');
  throw new MonitorError(lines.join('\n'));
}
