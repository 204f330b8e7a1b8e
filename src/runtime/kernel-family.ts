// Which network format a unikernel reads, as its own file says it: runcc's NET1 note, or the symbols of a unikernel
// family whose command-line convention is known. Detection must be certain, since words a guest does not expect
// break it (Solo5's test_net stops at "Error in command line"): anything short of the evidence below is no match,
// and the guest then gets exactly its own arguments.
import { ByteSource } from '../elf/byte-source';
import { Elf64 } from '../elf/elf64';
import { findNote } from '../elf/elf-note';
import { symbolNames } from '../elf/elf-symbols';
import { NET_FORMATS, NetConfigFormat } from '../net/guest-network-args';

/** runcc's own note: owner "runcc", type "NET1", the format name NUL-padded (bundle-examples/runtime/notes.h). */
export const RUNCC_NET1_NOTE = { owner: 'runcc', type: 0x3154454e, descAlign: 4, maxDescBytes: 32 } as const;

export interface DetectedFormat {
  format: NetConfigFormat;
  /** The evidence, for the debug log. */
  why: string;
}

interface FamilyEvidence {
  format: NetConfigFormat;
  family: string;
  /** Every entry must match some symbol: a name, or a prefix ending in `*`. */
  symbols: readonly string[];
}

/**
 * The families recognised from a symbol table. Each needs two independent marks, so that a library that happens to
 * share one name is not enough:
 * - MirageOS: `caml_startup` (the OCaml runtime's entry point) and a `mirage_solo5_*` binding (mirage-solo5's C
 *   stubs, e.g. `mirage_solo5_net_acquire`); MirageOS 4 hvt images keep their symbol table as `mirage build`
 *   leaves them. Its network library reads `--ipv4=A/N --ipv4-gateway=G`.
 * - Unikraft: `ukplat_entry` (the platform's boot entry) and `uk_libparam_parse`, the kernel-parameter parser that
 *   reads `netdev.ip=…` before the `--` that starts the application's arguments; without it those words would
 *   reach the application.
 * - rumprun: `rump_init` (the rump kernel's bootstrap) and `rumprun_config`, which parses the JSON command line.
 */
const FAMILIES: readonly FamilyEvidence[] = [
  { format: 'mirage', family: 'MirageOS', symbols: ['caml_startup', 'mirage_solo5_*'] },
  { format: 'unikraft', family: 'Unikraft', symbols: ['ukplat_entry', 'uk_libparam_parse'] },
  { format: 'rumprun', family: 'rumprun', symbols: ['rump_init', 'rumprun_config'] },
];

function hasSymbol(names: ReadonlySet<string>, pattern: string): boolean {
  if (!pattern.endsWith('*')) return names.has(pattern);
  const prefix = pattern.slice(0, -1);
  for (const name of names) if (name.startsWith(prefix)) return true;
  return false;
}

/** The family whose evidence `names` carries in full, if any. */
export function familyOfSymbols(names: ReadonlySet<string>): DetectedFormat | undefined {
  for (const family of FAMILIES) {
    if (family.symbols.every((pattern) => hasSymbol(names, pattern))) {
      return { format: family.format, why: `${family.family} kernel (symbols ${family.symbols.join(', ')})` };
    }
  }
  return undefined;
}

/**
 * The network format `path` declares or is recognised by; undefined when there is no certain evidence (a stripped
 * MirageOS image among them: it must declare its format, see docs/runtime.md). Never throws: a malformed note or
 * symbol table is no evidence.
 */
export function detectNetFormat(source: ByteSource, path: string, elf: Elf64): DetectedFormat | undefined {
  try {
    const note = findNote(source, path, elf, RUNCC_NET1_NOTE);
    if (note) {
      const end = note.indexOf(0);
      const named = Buffer.from(note.subarray(0, end < 0 ? note.length : end)).toString('latin1');
      if ((NET_FORMATS as readonly string[]).includes(named)) return { format: named as NetConfigFormat, why: `the kernel's runcc NET1 note names "${named}"` };
    }
  } catch {
    // a malformed note says nothing
  }
  try {
    return familyOfSymbols(symbolNames(source, path));
  } catch {
    return undefined;
  }
}
