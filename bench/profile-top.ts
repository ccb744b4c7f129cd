// The top of a CPU profile (.cpuprofile, as `--cpu-prof` or bench:parked's --profile writes it): self time by
// function and by where the code comes from (a package, our code, Node's internals), so a benchmark's hot spots
// are read off, not guessed. Usage: npx tsx bench/profile-top.ts FILE [--top 30]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** A profile as V8 writes it: a call tree, the sampled node of each sample and the time between samples (µs). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Self time (ms) by function and by origin, and the profile's length and idle share. */
export function profileTop(profile: CpuProfile): {
  totalMs: number;
  idleMs: number;
  byFunction: [string, number][];
  byOrigin: [string, number][];
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let idleMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === "(idle)") idleMs += ms;
    const name = `${functionName || "(anonymous)"} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const origin = originOf(functionName, url);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    idleMs,
    byFunction: sorted(byFunction),
    byOrigin: sorted(byOrigin),
  };
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  const p = url.indexOf("/packages/");
  if (p >= 0) return url.slice(p + 1);
  const b = url.indexOf("/bench/");
  if (b >= 0) return url.slice(b + 1);
  return url;
}

/** Where a function comes from: a package (by name), one of ours, Node's internals, or V8 itself. */
function originOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) {
    const parts = url.slice(i + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith("node:")) return "node internals";
  const p = /\/(packages\/[^/]+|bench|dags)\//.exec(url);
  return p ? p[1]! : url;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "30" } },
  });
  for (const file of positionals) {
    const top = profileTop(
      JSON.parse(readFileSync(file, "utf8")) as CpuProfile,
    );
    const pct = (ms: number) => ((100 * ms) / top.totalMs).toFixed(1);
    console.log(
      `${file}: ${(top.totalMs / 1000).toFixed(1)} s, idle ${pct(top.idleMs)} %`,
    );
    console.log("  self time by origin:");
    for (const [name, ms] of top.byOrigin.slice(0, 15))
      console.log(`    ${pct(ms).padStart(5)} %  ${name}`);
    console.log("  self time by function:");
    for (const [name, ms] of top.byFunction.slice(0, Number(values.top)))
      console.log(`    ${pct(ms).padStart(5)} %  ${name}`);
  }
}
