#!/bin/sh
# containerd-shim-runcc-v2: containerd's runtime shim v2 for runcc (runtime type io.containerd.runcc.v2).
#
# Everything is done by containerd-shim-runcc-v2.js beside this file; this front saves node start-ups on the two
# calls containerd makes per container. `start`: the node program it starts is the group's server itself (or finds
# it), so `start` costs one node start-up, not two (below). `delete`: containerd 1.6 runs the
# `delete` action after every task, once the shim has deleted it and shut down, and waits for it before its own
# delete returns. Then nothing of the container is left to clean up, and a node start-up would be the whole cost of
# the call: that case is answered here. Anything left (runcc's state, runc's, the rootfs mount, the group's socket)
# goes to the node program, which cleans it up (src/shim/actions.ts, deleteAction). The paths checked here are
# src/shim/shim-paths.ts's and address.ts's; test/unit/shim/shell-front.test.ts holds the two together.
set -f

self=$(readlink -f "$0")
dir=${self%/*}

action=
address=
namespace=default
id=
bundle=
parse() {
  while [ $# -gt 0 ]; do
    case $1 in
      -namespace | --namespace | -id | --id | -bundle | --bundle | -address | --address | -publish-binary | --publish-binary | -socket | --socket)
        [ $# -ge 2 ] || return 0
        case $1 in
          *namespace) namespace=$2 ;;
          *id) id=$2 ;;
          *bundle) bundle=$2 ;;
          *address) address=$2 ;;
        esac
        shift 2
        ;;
      start | delete)
        action=$1
        shift
        ;;
      *) shift ;;
    esac
  done
}

# A protobuf varint of $1: its bytes as printf(1) octal escapes in $vout, how many in $vlen.
varint() {
  v=$1
  vout=
  vlen=1
  while [ "$v" -ge 128 ]; do
    vout="$vout$(printf '\\%03o' $(((v & 127) | 128)))"
    vlen=$((vlen + 1))
    v=$((v >> 7))
  done
  vout="$vout$(printf '\\%03o' "$v")"
}

# Whether "$1.pid" names a live process, as a shared shim writes it while it takes containers ("PID STARTTIME",
# STARTTIME being field 22 of /proc/PID/stat: writeServerPidFile in address.ts).
named_server() {
  [ -r "$1.pid" ] || return 1
  read -r pid started <"$1.pid" || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
  # The command name (field 2) may hold spaces and parentheses: the fields go on after the last ')'.
  set -- ${stat##*) }
  [ $# -ge 20 ] && [ "$1" != Z ] && shift 19 && [ "$1" = "$started" ]
}

# The socket of the shared shim for these runtime options (the file $1), in $socket: sharedSocketPath in address.ts.
shared_socket() {
  command -v sha256sum >/dev/null 2>&1 && [ -n "$address" ] || return 1
  sum=$(sha256sum <"$1") || return 1
  sum=$(printf '%s' "$address/$namespace/runcc-shared-${sum%% *}" | sha256sum) || return 1
  socket=${RUNCC_SHIM_SOCKET_DIR:-/run/containerd/s}/${sum%% *}
}

nothing_left() {
  case $id in '' | *[!A-Za-z0-9_.-]* | .*) return 1 ;; esac
  case $namespace in '' | *[!A-Za-z0-9_.-]* | .*) return 1 ;; esac
  [ -n "$bundle" ] || bundle=$PWD
  [ ! -e "${RUNCC_SHIM_ROOT:-/run/containerd/runcc}/$namespace/$id" ] || return 1
  [ ! -e "${RUNCC_SHIM_RUNC_ROOT:-/run/containerd/runcc-runc}/$namespace/$id" ] || return 1
  # Field 5 of mountinfo is the mount point, as the kernel resolved it, with octal escapes for odd characters (a
  # path with any goes to the node program, which decodes them).
  rootfs=$(readlink -f "$bundle/rootfs") || rootfs=$bundle/rootfs
  case $rootfs in *[!A-Za-z0-9_./-]*) return 1 ;; esac
  ! awk -v at="$rootfs" '$5 == at { found = 1 } END { exit !found }' /proc/self/mountinfo || return 1
  # The group's socket: gone when its server has shut down; one still there may be a live server's or a dead one's,
  # which only a connection can tell, unless it is a shared shim's that names itself.
  if [ -e "$bundle/address" ]; then
    # No newline at its end: read(1) says EOF but has read it.
    read -r socket <"$bundle/address" || [ -n "$socket" ] || return 1
    socket=${socket#unix://}
    [ ! -e "$socket" ] || named_server "$socket" || return 1
  fi
  return 0
}

parse "$@"
if [ "$action" = delete ] && nothing_left; then
  # DeleteResponse { exit_status = 137 (killed), exited_at = { seconds = now } }, as the node program answers.
  varint "$(date +%s)"
  seconds=$vout
  varint $((1 + vlen))
  printf "\\020\\211\\001\\032$vout\\010$seconds"
  exit 0
fi
if [ "$action" = start ] && command -v setsid >/dev/null 2>&1; then
  # containerd's runtime options (stdin) are read twice: for the shared shim's socket name, then by node.
  # In the bundle, which containerd made and removes; they say where the options file is, or hold a few keys.
  options=.runtime-options
  if ! cat >"$options"; then
    echo "containerd-shim-runcc-v2: cannot keep the runtime options in $PWD" >&2
    exit 1
  fi
  if shared_socket "$options" && [ -S "$socket" ] && named_server "$socket"; then
    rm -f "$options"
    printf '%s' "unix://$socket" >.address && mv -f .address address && printf '%s' "unix://$socket" && exit 0
    echo "containerd-shim-runcc-v2: cannot write the address file in $PWD" >&2
    exit 1
  fi
  # One node start-up for `start`, not two: the node program started here, in a session of its own and with
  # containerd's runtime options on its stdin, finds the group's live server or becomes it, writes `address` in the
  # bundle (this directory) and says `ready` on fd 3, or says `error: …` and exits (serveAtStart in actions.ts).
  said=$(RUNCC_SHIM_SERVE_AT_START=1 setsid -f node "$dir/containerd-shim-runcc-v2.js" "$@" <"$options" 3>&1 1>/dev/null 2>/dev/null)
  rm -f "$options"
  if [ "$said" = ready ] && [ -s address ]; then
    cat address
    exit 0
  fi
  said=${said#error: }
  echo "containerd-shim-runcc-v2: ${said:-the shim exited before it listened}" >&2
  exit 1
fi
exec node "$dir/containerd-shim-runcc-v2.js" "$@"
