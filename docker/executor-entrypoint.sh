#!/bin/sh
# Entrypoint of the executor image: give the sandbox a writable cgroup subtree of the container's own,
# then exec jobgate-executor with the given arguments.
#
# - Container engines mount /sys/fs/cgroup read-only unless --privileged. With CAP_SYS_ADMIN (which the
#   sandbox needs anyway) the entrypoint remounts the hierarchies it uses read-write. The mounts show only
#   the container's own cgroup (cgroup namespace) or a bind of it, so boxes still nest below the
#   container's limits.
# - The daemon runs in a new cgroup namespace rooted at its own cgroup, so that the cgroup path it reads
#   from /proc/self/cgroup ("/") matches the mounts whatever the engine's cgroupns mode (docker on cgroup
#   v1 defaults to the host's namespace, where the path would be /docker/<id>).
# - cgroup v2 ("no internal processes"): the container's processes move to a leaf, "supervisor", so the
#   container's cgroup can delegate memory and pids to the box cgroups made beside it.
# - JOBGATE_TOKEN_FILE: read the executor token from a file (a secret) instead of JOBGATE_TOKEN.
# Whatever this cannot do, it says, and the executor's own probe then reports exactly what is missing
# (and refuses to start below --min-isolation).
set -eu

say() { echo "executor-entrypoint: $*" >&2; }

# Remount read-write the cgroup mount at $1 if it is read-only.
remount_rw() {
    opts=$(awk -v mp="$1" '$5 == mp { print $6; exit }' /proc/self/mountinfo)
    case ",$opts," in
    *,ro,*) mount -o remount,bind,rw "$1" 2>/dev/null || say "cannot remount $1 read-write (needs CAP_SYS_ADMIN, and no AppArmor 'deny mount'): boxes get no cgroup limits there" ;;
    esac
}

# Is capability number $1 in our effective set?
have_cap() {
    eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
    [ $((0x$eff >> $1 & 1)) = 1 ]
}

set -- /usr/local/bin/jobgate-executor "$@"
# Without CAP_SYS_ADMIN (21) there is nothing to prepare: the executor's probe says what is missing.
if have_cap 21 && [ "${JOBGATE_EXECUTOR_BACKEND:-sandbox}" = sandbox ]; then
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        remount_rw /sys/fs/cgroup
        if [ -w /sys/fs/cgroup/cgroup.procs ] && mkdir -p /sys/fs/cgroup/supervisor 2>/dev/null; then
            # Every process of the container's cgroup moves; then its children may have controllers.
            for p in $(cat /sys/fs/cgroup/cgroup.procs); do
                echo "$p" >/sys/fs/cgroup/supervisor/cgroup.procs 2>/dev/null || true
            done
            ctl=$(sed 's/\(^\| \)/ +/g' /sys/fs/cgroup/cgroup.controllers)
            echo "$ctl" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
                say "cannot enable$ctl in the container's cgroup"
        fi
    else
        for c in memory pids cpuacct; do
            mp=$(awk -v c="$c" '{ split($0, half, " - "); split(half[1], l, " "); split(half[2], r, " ")
                                  if (r[1] == "cgroup" && ("," r[3] ",") ~ ("," c ",")) { print l[5]; exit } }' /proc/self/mountinfo)
            [ -n "$mp" ] && remount_rw "$mp"
        done
    fi
    if unshare --cgroup true 2>/dev/null; then
        set -- unshare --cgroup "$@"
    else
        say "cannot create a cgroup namespace: cgroup paths are taken as the engine shows them"
    fi
fi

# Box uids are host uids (no user namespace), and a box's uid is claimed per network namespace, that
# is per container: replicas on one host would share uids 60000+slot, and with them RLIMIT_NPROC.
# Unless told, each container takes a random block of 1024 uids in [2^20, 2e9) (--first-uid's range).
if [ -z "${JOBGATE_FIRST_UID:-}" ]; then
    JOBGATE_FIRST_UID=$((1048576 + $(od -An -tu4 -N4 /dev/urandom) % 1950000 * 1024))
    export JOBGATE_FIRST_UID
fi

# The caches of stored problems' test data and of requirements' virtual environments (a volume: the
# root file system is read-only).
mkdir -p "${JOBGATE_CACHE_DIR:-/var/cache/jobgate/blobs}" "${JOBGATE_VENV_DIR:-/var/cache/jobgate/venvs}" 2>/dev/null ||
    say "cannot create the cache directories below /var/cache/jobgate (mount a volume there)"

if [ -n "${JOBGATE_TOKEN_FILE:-}" ]; then
    JOBGATE_TOKEN=$(cat "$JOBGATE_TOKEN_FILE")
    export JOBGATE_TOKEN
fi
exec "$@"
