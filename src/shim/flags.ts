// The shim's command line as containerd writes it (Go `flag` syntax: single dash, `-name value` or `-name=value`,
// `-debug` alone), then the action: `start`, `delete`, or none for the long-lived server.

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle?: string;
  socket?: string;
  debug: boolean;
  version: boolean;
  action: 'start' | 'delete' | 'serve';
}

const VALUED = new Set(['namespace', 'address', 'publish-binary', 'id', 'bundle', 'socket']);
const BOOLEAN = new Set(['debug', 'v']);

export class FlagError extends Error {}

export function parseShimFlags(argv: readonly string[]): ShimFlags {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (BOOLEAN.has(name)) {
      if (eq < 0 || body.slice(eq + 1) === 'true') flags.add(name);
    } else if (VALUED.has(name)) {
      const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      values.set(name, value);
    } else {
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
  }
  const action = argv[i];
  if (action !== undefined && action !== 'start' && action !== 'delete') throw new FlagError(`unknown action "${action}": expected start or delete`);
  return {
    namespace: values.get('namespace') ?? '',
    address: values.get('address') ?? '',
    publishBinary: values.get('publish-binary') ?? '',
    id: values.get('id') ?? '',
    bundle: values.get('bundle'),
    socket: values.get('socket'),
    debug: flags.has('debug'),
    version: flags.has('v'),
    action: action ?? 'serve',
  };
}
