import { spawn, type ChildProcess } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestateIngress, type DagRunStatus, type Json } from "@poekhali/core";
import { RestateServer } from "../packages/poekhali/src/restate/restate-server.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { alive, eventually } from "./harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIBRARIES = ["core", "emulators", "telegram", "airtable"] as const;
const INSTALL_TIMEOUT_MS = 300_000;

/** The workspace's installed version of a registry package, so the project installs what the npm cache holds. */
const installed = (name: string) =>
  (
    JSON.parse(
      readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8"),
    ) as { version: string }
  ).version;

/**
 * The environment of the processes the test starts for the project: the test's own, without what would make them
 * resolve workspace sources (NODE_OPTIONS) or act on the workspace (npm's lifecycle and package variables).
 */
function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key === "NODE_OPTIONS" ||
      key === "INIT_CWD" ||
      /^npm_(lifecycle|package|command|execpath|config_(local_prefix|workspaces?|call|prefix)$)/.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: projectEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(
              `${command} ${args.join(" ")} exited with ${code}:\n${out}`,
            ),
          ),
    );
  });
}

// The user's DAG file: a custom operator and a custom sensor, typed as the README shows, served on Restate.
const DAG_FILE = `import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http2";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { z } from "zod";
import {
  BaseOperator,
  BaseSensor,
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  type Args,
  type BaseOperatorOptions,
  type PokeSensorOptions,
  type TaskContext,
} from "@poekhali/core";

/** Waits until a file exists (Airflow's FileSensor); its output is the path. */
export class FileSensor extends BaseSensor<{ path: string }, string> {
  readonly title = "wait for the file";
  constructor(options: PokeSensorOptions & Args<{ path: string }>) {
    super(options, { path: options.path });
  }
  override async poke({ path }: { path: string }, context: TaskContext) {
    context.log.info(\`looking for \${path}\`);
    return { done: existsSync(path), value: path };
  }
}

/** Counts the words of a text file. */
export class CountWords extends BaseOperator<{ path: string }, { words: number }> {
  readonly title = "count the words";
  constructor(options: BaseOperatorOptions & Args<{ path: string }>) {
    super(options, { path: options.path });
  }
  override async execute({ path }: { path: string }, context: TaskContext) {
    const words = (await readFile(path, "utf8")).split(/\\s+/).filter(Boolean).length;
    context.log.info(\`\${path} has \${words} words\`);
    return { words };
  }
}

export const wordCount = dag(
  { id: "word_count", schedule: null, params: z.object({ path: z.string(), greeting: z.string().default("Поехали") }) },
  ({ params }) => {
    const file = new FileSensor({ taskId: "wait_for_file", path: params.path, pokeInterval: "100ms", timeout: "2m", mode: "reschedule" });
    const counted = new CountWords({ taskId: "count_words", path: file.output, retries: 1, retryDelay: "100ms" });
    task(
      { taskId: "report", title: "say how many" },
      ({ n, greeting }: { n: { words: number }; greeting: string }) => \`\${greeting}: \${n.words} words\`,
      { n: counted.output, greeting: params.greeting },
    );
  },
);

const endpoint = createEndpointHandler({ services: [dagWorkflow(wordCount, { connections: new StaticConnections([]) })] });
const server = createServer(endpoint);
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("LISTENING"));
`;

// What \`tsc --init\` and the README ask of a project: strict NodeNext ESM, Node's types.
const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    types: ["node"],
    rootDir: "src",
    outDir: "dist",
  },
  include: ["src"],
};

describe("the packed packages, installed in a project outside the workspace", () => {
  let work: string;
  let project: string;
  let server: RestateServer | undefined;
  let endpoint: ChildProcess | undefined;
  let endpointOutput = "";
  let tarballs: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "poekhali-consumer-"));
    const packed = join(work, "tarballs");
    project = join(work, "my-dags");
    mkdirSync(packed);
    mkdirSync(join(project, "src"), { recursive: true });

    // `npm pack` runs each package's prepack (a fresh tsc build into dist), in this order: core before its users.
    const json = await run(
      "npm",
      [
        "pack",
        "--json",
        "--pack-destination",
        packed,
        ...LIBRARIES.flatMap((p) => ["--workspace", `packages/${p}`]),
      ],
      ROOT,
    );
    const manifests = JSON.parse(json.slice(json.indexOf("["))) as {
      name: string;
      filename: string;
      files: { path: string }[];
    }[];
    tarballs = manifests.map((m) => join(packed, m.filename));
    expect(manifests.map((m) => m.name).sort()).toEqual([
      "@poekhali/airtable",
      "@poekhali/core",
      "@poekhali/emulators",
      "@poekhali/telegram",
    ]);
    for (const m of manifests) {
      const files = m.files.map((f) => f.path);
      expect(files, m.name).toEqual(
        expect.arrayContaining([
          "LICENSE",
          "README.md",
          "package.json",
          "dist/index.js",
          "dist/index.d.ts",
          "src/index.ts",
        ]),
      );
      expect(
        files.filter(
          (f) => f.endsWith(".test.ts") || f.endsWith(".tsbuildinfo"),
        ),
        m.name,
      ).toEqual([]);
    }

    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "my-dags", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      `${JSON.stringify(TSCONFIG, null, 2)}\n`,
    );
    writeFileSync(join(project, "src", "word-count.ts"), DAG_FILE);
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        ...tarballs,
        `@restatedev/restate-sdk@${installed("@restatedev/restate-sdk")}`,
        `zod@${installed("zod")}`,
        `typescript@${installed("typescript")}`,
        `@types/node@${installed("@types/node")}`,
      ],
      project,
    );

    const ports = {
      ingressPort: await choosePort(0),
      adminPort: await choosePort(0),
      nodePort: await choosePort(0),
    };
    server = await RestateServer.start({
      home: join(work, "restate-home"),
      ...ports,
    });
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    if (endpoint?.pid && alive(endpoint.pid)) {
      process.kill(endpoint.pid, "SIGKILL");
      await eventually(
        "the endpoint to exit",
        () => endpoint?.exitCode !== null || endpoint.signalCode !== null,
      );
    }
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs as plain JavaScript with declarations, no workspace sources on the way", () => {
    const core = JSON.parse(
      readFileSync(
        join(project, "node_modules/@poekhali/core/package.json"),
        "utf8",
      ),
    ) as Record<string, unknown>;
    expect(core).toMatchObject({
      license: "MIT",
      types: "./dist/index.d.ts",
      repository: { type: "git", directory: "packages/core" },
    });
    // Installed copies from the tarballs, not links back into the workspace.
    for (const name of LIBRARIES)
      expect(
        lstatSync(
          join(project, "node_modules/@poekhali", name),
        ).isSymbolicLink(),
        name,
      ).toBe(false);
  });

  it(
    "type-checks the user's operator and sensor against the installed declarations",
    async () => {
      await run(
        join(project, "node_modules/.bin/tsc"),
        ["-p", "tsconfig.json"],
        project,
      );
      expect(
        readFileSync(join(project, "dist/word-count.js"), "utf8"),
      ).toContain("class FileSensor extends BaseSensor");
    },
    INSTALL_TIMEOUT_MS,
  );

  it("runs the DAG with plain node on a real restate-server: the sensor waits, then the operator and the task run", async () => {
    const port = await choosePort(0);
    endpoint = spawn(process.execPath, ["dist/word-count.js"], {
      cwd: project,
      env: projectEnv({ PORT: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    endpoint.stdout?.on(
      "data",
      (d: Buffer) => (endpointOutput += d.toString()),
    );
    endpoint.stderr?.on(
      "data",
      (d: Buffer) => (endpointOutput += d.toString()),
    );
    await eventually("the endpoint to listen", () => {
      if (endpoint?.exitCode !== null)
        throw new Error(`the endpoint exited:\n${endpointOutput}`);
      return endpointOutput.includes("LISTENING");
    });
    await server!.register(`http://127.0.0.1:${port}`);

    const ingress = new RestateIngress(server!.ingressUrl);
    const path = join(work, "ready.txt");
    await ingress.send(
      { service: "word_count", handler: "run", key: "run_1" },
      { conf: { path } },
    );
    const status = () =>
      ingress.call<DagRunStatus | null>({
        service: "word_count",
        handler: "status",
        key: "run_1",
      });
    const states = (s: DagRunStatus | null) =>
      Object.fromEntries(
        (s?.task_instances ?? []).map((t) => [t.task_id, t.state]),
      );

    // The file does not exist yet: the sensor pokes, finds nothing and waits on a durable timer.
    await eventually(
      "the sensor to wait for the file",
      async () => states(await status()).wait_for_file === "up_for_reschedule",
    );
    expect(states(await status())).toMatchObject({
      count_words: "scheduled",
      report: "scheduled",
    });
    writeFileSync(path, "раз два три четыре\nfive\n");

    const done = await eventually(
      "the run to finish",
      async () => {
        const s = await status();
        return s && ["success", "failed"].includes(s.dag_run.state)
          ? s
          : undefined;
      },
      60_000,
    );
    expect(done.dag_run.state, JSON.stringify(done)).toBe("success");
    expect(states(done)).toEqual({
      wait_for_file: "success",
      count_words: "success",
      report: "success",
    });

    const xcom = (taskId: string) =>
      ingress.call<{ value: Json } | null>(
        { service: "word_count", handler: "xcom", key: "run_1" },
        { task_id: taskId },
      );
    expect(await xcom("wait_for_file")).toEqual({ value: path });
    expect(await xcom("count_words")).toEqual({ value: { words: 5 } });
    expect(await xcom("report")).toEqual({ value: "Поехали: 5 words" });

    const log = (taskId: string, tryNumber: number) =>
      ingress.call<string[] | null>(
        { service: "word_count", handler: "logs", key: "run_1" },
        { task_id: taskId, try_number: tryNumber },
      );
    const countTry = done.task_instances.find(
      (t) => t.task_id === "count_words",
    )!.try_number;
    expect((await log("count_words", countTry))?.join("\n")).toContain(
      `${path} has 5 words`,
    );
  });
});
