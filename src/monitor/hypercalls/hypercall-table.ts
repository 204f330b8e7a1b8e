// Hypercall handlers indexed by number. A handler gets the GPA of its argument struct and returns true when done,
// or false when a signal interrupted a blocking wait (the loop yields to the event loop, then calls resume()).
import { HVT_HYPERCALL_MAX } from '../../solo5/abi';

export interface HypercallHandler {
  (argGpa: number): boolean;
  /** Continues an interrupted call; same contract as the handler. */
  resume?: () => boolean;
}

export class HypercallTable {
  readonly handlers: (HypercallHandler | undefined)[] = new Array(HVT_HYPERCALL_MAX).fill(undefined);

  /** Registers `handler` for `nr`; a number is registered once (a second registration is a programming error). */
  register(nr: number, handler: HypercallHandler): void {
    if (nr <= 0 || nr >= HVT_HYPERCALL_MAX) throw new RangeError(`hypercall number ${nr} out of range`);
    if (this.handlers[nr]) throw new Error(`hypercall ${nr} registered twice`);
    this.handlers[nr] = handler;
  }
}
