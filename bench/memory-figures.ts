// Where the benchmarked processes' memory goes: resident sets from /proc (Linux), their high-water marks, the total
// of all of them sampled at the same instants, and restate-server's own account of its memory pools (its metrics).
import { readFileSync } from "node:fs";

/** A process's resident set, from /proc (Linux), in MiB. */
export function rssMb(pid: number): number {
  return statusMb(pid, "VmRSS");
}

/** A process's highest resident set so far (the kernel's high-water mark), in MiB. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, "VmHWM");
}

function statusMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  return Math.round(Number(kb ?? 0) / 1024);
}

/**
 * Samples the sum of the processes' resident sets every `everyMs` until stopped, and gives the highest sum seen:
 * what the machine had to hold at once, which the processes' separate high-water marks (reached at different
 * moments) overstate.
 */
export function totalRssSampler(
  processes: Record<string, number>,
  everyMs = 1_000,
): { stop(): number } {
  let peak = 0;
  const sample = () => {
    let total = 0;
    for (const pid of Object.values(processes)) {
      try {
        total += rssMb(pid);
      } catch {
        // The process is gone (the bench is ending): nothing to add.
      }
    }
    peak = Math.max(peak, total);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** restate-server's memory by pool, in MiB, from its Prometheus metrics (jemalloc, RocksDB, the invoker). */
export interface RestateMemory {
  /** What jemalloc handed out; the resident set is this plus allocator overhead and the binary. */
  readonly allocated: number;
  /** RocksDB's block cache, which also holds the memtables charged to it (capped by rocksdb-total-memory-size). */
  readonly rocksdbCache: number;
  /** Of which memtables (the write buffer manager's usage). */
  readonly memtables: number;
  /** The invoker's buffers of in-flight invocations. */
  readonly invoker: number;
}

/** Reads restate-server's memory figures from its node's `/metrics`. */
export async function restateMemory(nodeUrl: string): Promise<RestateMemory> {
  const text = await (await fetch(`${nodeUrl}/metrics`)).text();
  const value = (name: string, label?: string) => {
    let max = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name}{`) || (label && !line.includes(label)))
        continue;
      max = Math.max(max, Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
    return Math.round(max / 2 ** 20);
  };
  return {
    allocated: value("restate_jemalloc_allocated_bytes"),
    // One block cache is shared by every RocksDB database of the node: each reports the same usage.
    rocksdbCache: value("restate_rocksdb_block_cache_usage_bytes"),
    memtables: value("restate_rocksdb_memory_write_buffer_manager_usage_bytes"),
    invoker: value("restate_memory_pool_usage_bytes", 'name="invoker"'),
  };
}
