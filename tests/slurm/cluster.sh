#!/usr/bin/env bash
# A one-node Slurm cluster of its own, for the Slurm tests: munged,
# slurmctld and slurmd from Debian's packages (munge, slurmctld, slurmd,
# slurm-client), run as root without systemd. Everything lives in STATE (its
# config, key, sockets, spool, logs and pid files) and on free ports, so it
# neither needs nor touches a cluster the machine may already run.
#   source cluster.sh; cluster_start STATE [MAX_ARRAY_SIZE]; ...; cluster_stop
# cluster_start exports SLURM_CONF, which points sbatch, squeue and scancel
# at it.

cluster_free_port() {
    local port
    for port in $(shuf -i 20000-60000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "cluster.sh: no free port" >&2
    return 1
}

cluster_start() {
    CLUSTER_STATE="$1"
    local max_array_size="${2:-1001}"
    local state="$CLUSTER_STATE"
    mkdir -p "$state/ctld" "$state/spool" "$state/log"
    : >"$state/plugstack.conf"

    dd if=/dev/urandom of="$state/munge.key" bs=1024 count=1 status=none
    chmod 400 "$state/munge.key"
    munged --force --socket="$state/munge.socket" --key-file="$state/munge.key" \
        --pid-file="$state/munged.pid" --log-file="$state/log/munged.log" --seed-file="$state/munge.seed"

    local ctld_port node_port cpus memory
    ctld_port="$(cluster_free_port)"
    node_port="$(cluster_free_port)"
    cpus="$(nproc)"
    memory="$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)"
    cat >"$state/slurm.conf" <<EOF
ClusterName=tailortest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge.socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
PlugStackConfig=$state/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
MaxArraySize=$max_array_size
NodeName=tailortest NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=tailor Nodes=tailortest Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$state/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF" -N tailortest
    # The node registers within seconds; until then jobs would only queue.
    local waited
    for waited in $(seq 1 60); do
        if sinfo --noheader --nodes=tailortest --format=%T 2>/dev/null | grep -qx idle; then return 0; fi
        sleep 1
    done
    echo "cluster.sh: the node did not come up; logs in $state/log:" >&2
    tail -n 20 "$state"/log/*.log >&2
    return 1
}

cluster_stop() {
    local state="$CLUSTER_STATE" daemon pid
    [ -n "$state" ] || return 0
    for daemon in slurmd slurmctld munged; do
        [ -f "$state/$daemon.pid" ] || continue
        pid="$(cat "$state/$daemon.pid")"
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
}
