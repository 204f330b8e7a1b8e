// Container IDs as runc accepts them: one clean path element of [0-9A-Za-z_+.-].
import { RUNC_ERRORS, RuntimeError } from './runtime-error';

const VALID_ID = /^[0-9A-Za-z_+.-]+$/;

export function validateContainerId(id: string): string {
  if (!VALID_ID.test(id) || id === '.' || id === '..') throw new RuntimeError(RUNC_ERRORS.invalidId);
  return id;
}
