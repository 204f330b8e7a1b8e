#!/bin/bash
# Measures which system calls the monitor makes once the guest runs: every scenario runs under `strace -f`, and
# the calls (all threads) after the first KVM_RUN are counted, with the ioctl requests. How the seccomp allowlist
# (src/monitor/confinement/syscall-allowlist.ts) was derived; run as root on real KVM (in the sandbox VM:
#   flock /tmp/runcc-sandbox.lock node dist/scripts/with-kvm.js --timeout=1800 -- bash scripts/seccomp/measure-syscalls.sh OUT
# ). RUNCC_SECCOMP=off is set so that the measurement is not cut short by the filter itself. The second step of the
# measurement is the e2e suite run with RUNCC_SECCOMP=log and the kernel's audit records (type 1326) read after it.
set -u
OUT=${1:-/tmp/runcc-syscalls}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
export RUNCC_SECCOMP=${RUNCC_SECCOMP:-off}
HVT="node dist/cli/runcc-hvt.js"
RUNCC="node dist/cli/main.js --root /run/runcc-measure"
B=bundle-examples/build
ST="strace -f -qq -s 0 -X raw"
WORK=$(mktemp -d /run/runcc-measure-XXXX)

trace() { local name=$1; shift; timeout 300 $ST -o "$OUT/$name.tr" "$@" >"$OUT/$name.out" 2>&1; echo "$name: status $?"; }

trace hello $HVT $B/hello.hvt Hello
trace time $HVT $B/time.hvt 20 10
trace hypercalls $HVT $B/hypercalls.hvt 20000
trace meminfo $HVT --mem=64 $B/meminfo.hvt
trace exitcode $HVT $B/exitcode.hvt 7
for h in bad-pointer write-text triple-fault bad-port; do trace "hostile-$h" $HVT $B/hostile/$h.hvt; done
# stop by signal, after a SIGUSR1 and a SIGWINCH
$ST -o "$OUT/spin-signals.tr" $HVT $B/spin.hvt >"$OUT/spin-signals.out" 2>&1 &
TRACER=$!; sleep 8; SP=$(pgrep -P "$TRACER" | head -1)   # the monitor: strace's child, not strace
kill -USR1 "$SP"; sleep 1; kill -WINCH "$SP"; sleep 1; kill -TERM "$SP"; wait "$TRACER"; echo "spin-signals: done"
# block device
truncate -s 1M "$WORK/disk.img"
trace block $HVT --block:storage="$WORK/disk.img" $B/block-tester.hvt
# net device in a network namespace, pinged
ip netns add rcc-measure; ip -n rcc-measure link set lo up
ip -n rcc-measure tuntap add tap0 mode tap; ip -n rcc-measure addr add 10.0.0.1/24 dev tap0; ip -n rcc-measure link set tap0 up
ip netns exec rcc-measure timeout 240 $ST -o "$OUT/net.tr" $HVT --net:service0=tap0 $B/net-responder.hvt 20 >"$OUT/net.out" 2>&1 &
NETPID=$!; sleep 10; ip netns exec rcc-measure ping -c 20 -i 0.05 -w 120 10.0.0.2 > "$OUT/net.ping" 2>&1; wait "$NETPID"; echo "net: done"
ip netns del rcc-measure
# the container monitor: run to completion, and a container killed by runcc kill (after USR1)
mkbundle() { mkdir -p "$WORK/$1/rootfs"; cp "$B/$2.hvt" "$WORK/$1/rootfs/unikernel.hvt"
  printf '{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["/unikernel.hvt"%s],"cwd":"/"},"linux":{"namespaces":[{"type":"network"%s}]}}' "$3" "$4" > "$WORK/$1/config.json"; }
mkbundle c-hello hello ',"Hi"' ''
trace container-hello $RUNCC run --bundle "$WORK/c-hello" m-hello
mkbundle c-spin spin '' ''
$ST -o "$OUT/container-spin.tr" $RUNCC run --bundle "$WORK/c-spin" m-spin >"$OUT/container-spin.out" 2>&1 &
sleep 15; $RUNCC kill m-spin USR1; sleep 2; $RUNCC kill m-spin TERM; wait; $RUNCC delete --force m-spin; echo "container-spin: done"
# a container wired to a veth in a named netns (the tc wiring at start, and its undoing at exit)
ip netns add rcc-measure2; ip link add rccm0 type veth peer name eth0 netns rcc-measure2
ip addr add 10.88.0.1/24 dev rccm0; ip link set rccm0 up
ip -n rcc-measure2 addr add 10.88.0.2/24 dev eth0; ip -n rcc-measure2 link set eth0 up; ip -n rcc-measure2 link set lo up
mkbundle c-net net-responder ',"10"' ',"path":"/run/netns/rcc-measure2"'
$ST -o "$OUT/container-net.tr" $RUNCC run --bundle "$WORK/c-net" m-net >"$OUT/container-net.out" 2>&1 &
sleep 20; ping -c 10 -i 0.1 -w 60 10.88.0.2 > "$OUT/container-net.ping" 2>&1; wait; echo "container-net: done"
ip netns del rcc-measure2; ip link del rccm0 2>/dev/null
rm -rf "$WORK" /run/runcc-measure

python3 - "$OUT" <<'PY'
import os, re, sys, collections
out = sys.argv[1]
line_re = re.compile(r'^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()')
total = collections.Counter(); ioctls = collections.Counter(); per = {}
for f in sorted(os.listdir(out)):
    if not f.endswith('.tr'): continue
    seen = False; calls = collections.Counter()
    for line in open(os.path.join(out, f), errors='replace'):
        if not seen:
            # KVM_RUN is _IO(0xae, 0x80) = 0xae80 (raw output)
            if re.search(r'ioctl\(\d+, 0xae80', line): seen = True
            else: continue
        m = line_re.match(line)
        if not m or m.group(2): continue
        name = m.group(3); calls[name] += 1
        if name == 'ioctl':
            r = re.match(r'^\d+\s+ioctl\(\d+, (0x[0-9a-f]+)', line)
            if r: ioctls[r.group(1)] += 1
    per[f] = calls; total.update(calls)
for f, calls in per.items():
    print(f"{f}: {' '.join(sorted(calls))}")
print("ALL:", ' '.join(f"{k}={v}" for k, v in sorted(total.items())))
print("IOCTLS:", ' '.join(f"{k}={v}" for k, v in sorted(ioctls.items())))
PY
