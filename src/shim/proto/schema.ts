// The protobuf messages the shim speaks, written from containerd's and ttrpc's upstream field numbers
// (docs/containerd-shim.md lists the sources). protobufjs builds the codecs from this text at start-up (no code
// generator binary, no generated files to keep in step); the wire format is what gogo/golang protobuf emit.
import * as protobuf from 'protobufjs';

// protobufjs' parser takes one package per text: each block below is parsed into the same root.
const WELL_KNOWN = `
syntax = "proto3";
package google.protobuf;
message Any { string type_url = 1; bytes value = 2; }
message Empty {}
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

const RPC_STATUS = `
syntax = "proto3";
package google.rpc;
message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
`;

const TTRPC = `
syntax = "proto3";
package ttrpc;
message KeyValue { string key = 1; string value = 2; }
message Request { string service = 1; string method = 2; bytes payload = 3; int64 timeout_nano = 4; repeated KeyValue metadata = 5; }
message Response { google.rpc.Status status = 1; bytes payload = 2; }
`;

const TYPES = `
syntax = "proto3";
package containerd.types;
message Mount { string type = 1; string source = 2; string target = 3; repeated string options = 4; }
`;

const TASK_TYPES = `
syntax = "proto3";
package containerd.v1.types;
enum Status { UNKNOWN = 0; CREATED = 1; RUNNING = 2; STOPPED = 3; PAUSED = 4; PAUSING = 5; }
message ProcessInfo { uint32 pid = 1; google.protobuf.Any info = 2; }
`;

const TASK = `
syntax = "proto3";
package containerd.task.v2;
message CreateTaskRequest {
  string id = 1; string bundle = 2; repeated containerd.types.Mount rootfs = 3; bool terminal = 4;
  string stdin = 5; string stdout = 6; string stderr = 7; string checkpoint = 8; string parent_checkpoint = 9;
  google.protobuf.Any options = 10;
}
message CreateTaskResponse { uint32 pid = 1; }
message DeleteRequest { string id = 1; string exec_id = 2; }
message DeleteResponse { uint32 pid = 1; uint32 exit_status = 2; google.protobuf.Timestamp exited_at = 3; }
message ExecProcessRequest {
  string id = 1; string exec_id = 2; bool terminal = 3; string stdin = 4; string stdout = 5; string stderr = 6;
  google.protobuf.Any spec = 7;
}
message ResizePtyRequest { string id = 1; string exec_id = 2; uint32 width = 3; uint32 height = 4; }
message StateRequest { string id = 1; string exec_id = 2; }
message StateResponse {
  string id = 1; string bundle = 2; uint32 pid = 3; containerd.v1.types.Status status = 4; string stdin = 5;
  string stdout = 6; string stderr = 7; bool terminal = 8; uint32 exit_status = 9;
  google.protobuf.Timestamp exited_at = 10; string exec_id = 11;
}
message KillRequest { string id = 1; string exec_id = 2; uint32 signal = 3; bool all = 4; }
message CloseIORequest { string id = 1; string exec_id = 2; bool stdin = 3; }
message PidsRequest { string id = 1; }
message PidsResponse { repeated containerd.v1.types.ProcessInfo processes = 1; }
message CheckpointTaskRequest { string id = 1; string path = 2; google.protobuf.Any options = 3; }
message UpdateTaskRequest { string id = 1; google.protobuf.Any resources = 2; map<string, string> annotations = 3; }
message StartRequest { string id = 1; string exec_id = 2; }
message StartResponse { uint32 pid = 1; }
message WaitRequest { string id = 1; string exec_id = 2; }
message WaitResponse { uint32 exit_status = 1; google.protobuf.Timestamp exited_at = 2; }
message StatsRequest { string id = 1; }
message StatsResponse { google.protobuf.Any stats = 1; }
message ConnectRequest { string id = 1; }
message ConnectResponse { uint32 shim_pid = 1; uint32 task_pid = 2; string version = 3; }
message ShutdownRequest { string id = 1; bool now = 2; }
message PauseRequest { string id = 1; }
message ResumeRequest { string id = 1; }
`;

const EVENTS = `
syntax = "proto3";
package containerd.events;
message TaskIO { string stdin = 1; string stdout = 2; string stderr = 3; bool terminal = 4; }
message TaskCreate {
  string container_id = 1; string bundle = 2; repeated containerd.types.Mount rootfs = 3; TaskIO io = 4;
  string checkpoint = 5; uint32 pid = 6;
}
message TaskStart { string container_id = 1; uint32 pid = 2; }
message TaskExit { string container_id = 1; string id = 2; uint32 pid = 3; uint32 exit_status = 4; google.protobuf.Timestamp exited_at = 5; }
message TaskDelete { string container_id = 1; uint32 pid = 2; uint32 exit_status = 3; google.protobuf.Timestamp exited_at = 4; string id = 5; }
message TaskOOM { string container_id = 1; }
message TaskPaused { string container_id = 1; }
message TaskResumed { string container_id = 1; }
`;

const EVENTS_SERVICE = `
syntax = "proto3";
package containerd.services.events.ttrpc.v1;
message Envelope { google.protobuf.Timestamp timestamp = 1; string namespace = 2; string topic = 3; google.protobuf.Any event = 4; }
message ForwardRequest { Envelope envelope = 1; }
`;

const RUNTIME_OPTIONS = `
syntax = "proto3";
package runtimeoptions.v1;
message Options { string type_url = 1; string config_path = 2; bytes config_body = 3; }
`;

const CGROUPS_V2 = `
syntax = "proto3";
package io.containerd.cgroups.v2;
message Metrics {
  PidsStat pids = 1; CPUStat cpu = 2; MemoryStat memory = 4; RdmaStat rdma = 5; IOStat io = 6;
  repeated HugeTlbStat hugetlb = 7; MemoryEvents memory_events = 8;
}
message PidsStat { uint64 current = 1; uint64 limit = 2; }
message CPUStat {
  uint64 usage_usec = 1; uint64 user_usec = 2; uint64 system_usec = 3; uint64 nr_periods = 4; uint64 nr_throttled = 5;
  uint64 throttled_usec = 6;
}
message MemoryStat {
  uint64 anon = 1; uint64 file = 2; uint64 kernel_stack = 3; uint64 slab = 4; uint64 sock = 5; uint64 shmem = 6;
  uint64 file_mapped = 7; uint64 file_dirty = 8; uint64 file_writeback = 9; uint64 anon_thp = 10;
  uint64 inactive_anon = 11; uint64 active_anon = 12; uint64 inactive_file = 13; uint64 active_file = 14;
  uint64 unevictable = 15; uint64 slab_reclaimable = 16; uint64 slab_unreclaimable = 17; uint64 pgfault = 18;
  uint64 pgmajfault = 19; uint64 workingset_refault = 20; uint64 workingset_activate = 21;
  uint64 workingset_nodereclaim = 22; uint64 pgrefill = 23; uint64 pgscan = 24; uint64 pgsteal = 25;
  uint64 pgactivate = 26; uint64 pgdeactivate = 27; uint64 pglazyfree = 28; uint64 pglazyfreed = 29;
  uint64 thp_fault_alloc = 30; uint64 thp_collapse_alloc = 31; uint64 usage = 32; uint64 usage_limit = 33;
  uint64 swap_usage = 34; uint64 swap_limit = 35;
}
message MemoryEvents { uint64 low = 1; uint64 high = 2; uint64 max = 3; uint64 oom = 4; uint64 oom_kill = 5; }
message RdmaStat { repeated RdmaEntry current = 1; repeated RdmaEntry limit = 2; }
message RdmaEntry { string device = 1; uint32 hca_handles = 2; uint32 hca_objects = 3; }
message IOStat { repeated IOEntry usage = 1; }
message IOEntry { uint64 major = 1; uint64 minor = 2; uint64 rbytes = 3; uint64 wbytes = 4; uint64 rios = 5; uint64 wios = 6; }
message HugeTlbStat { uint64 current = 1; uint64 max = 2; string pagesize = 3; }
`;

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    for (const text of [WELL_KNOWN, RPC_STATUS, TTRPC, TYPES, TASK_TYPES, TASK, EVENTS, EVENTS_SERVICE, RUNTIME_OPTIONS, CGROUPS_V2]) {
      protobuf.parse(text, root, { keepCase: true });
    }
    root.resolveAll();
  }
  return root;
}

/** The codec of a message by its full name, e.g. `containerd.task.v2.CreateTaskRequest`. */
export function messageType(name: string): protobuf.Type {
  return schema().lookupType(name);
}

/**
 * Decodes to a plain object: 64-bit integers as numbers (all ours stay below 2^53), absent fields at defaults,
 * bytes fields as Buffers. The generic Reader, not protobufjs' Buffer reader: that one clamps a string or bytes field
 * that runs past the end instead of refusing it, so truncated input would decode.
 */
export function decode<T>(name: string, bytes: Uint8Array): T {
  const type = messageType(name);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const object = type.toObject(type.decode(new protobuf.Reader(view)), { longs: Number, defaults: true, enums: Number });
  return buffersIn(object) as T;
}

function buffersIn(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (Array.isArray(value)) return value.map(buffersIn);
  if (value && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) (value as Record<string, unknown>)[key] = buffersIn(field);
  }
  return value;
}

/** Encodes a plain object; fields it lacks are left off the wire (proto3 defaults). */
export function encode(name: string, value: object): Buffer {
  const type = messageType(name);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** A google.protobuf.Any carrying `name` (the bare type URL containerd 1.6 resolves). */
export function packAny(name: string, value: object): { type_url: string; value: Buffer } {
  return { type_url: name, value: encode(name, value) };
}

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function timestamp(date: Date): Timestamp {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
