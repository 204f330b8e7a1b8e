// Tar entry headers for reproducible archives: fixed time and owner, so the same inputs give the same bytes.
import type { Header } from 'tar-stream';

export type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/** The time every entry carries (the epoch; SOURCE_DATE_EPOCH when set, as reproducible-build tools expect). */
export function buildTime(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0);
  return new Date((Number.isFinite(epoch) && epoch > 0 ? epoch : 0) * 1000);
}

export function fileHeader(name: string, size: number, mode = 0o644): EntryHeader {
  return { name, size, mode, type: 'file', mtime: buildTime(), uid: 0, gid: 0, uname: '', gname: '' };
}

export function dirHeader(name: string): EntryHeader {
  return { name, mode: 0o755, type: 'directory', mtime: buildTime(), uid: 0, gid: 0, uname: '', gname: '' };
}
