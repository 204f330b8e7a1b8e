// Matching command-line devices with the unikernel's manifest, and the final check that every declared device is
// attached (ABI reference §2.2.4).
import { Manifest, ManifestDeviceType, deviceTypeName } from '../../solo5/manifest';
import { MonitorError } from '../monitor-error';

/** The manifest index of device `name` of `type`; an undeclared name is an option error, as in Solo5. */
export function declaredIndex(manifest: Manifest, name: string, type: ManifestDeviceType): number {
  const index = manifest.find(name, type);
  if (index < 0) throw new MonitorError(`Resource not declared in manifest: '${name}'`, 1, true);
  return index;
}

/** Ends the monitor when the manifest declares devices that nothing attached. */
export function requireAllAttached(manifest: Manifest): void {
  const missing = manifest.unattachedDevices();
  if (missing.length === 0) return;
  const lines = missing.map((d) => `Device '${d.name}' of type ${deviceTypeName(d.type)} declared but not attached.`);
  lines.push('All declared devices must be attached. See --help for syntax.');
  throw new MonitorError(lines.join('\n'));
}
