import { parseArgs } from "node:util";
import { ConfError, type Json } from "@poekhali/core";
import { resolveConfig } from "../config.js";
import { loadDags } from "../dag-loader.js";
import { connectionsFrom } from "../worker/connections.js";
import { ApiClient } from "./api-client.js";
import { dagBag, dagOf, taskTree } from "./dag-bag.js";
import { OUTPUT_OPTIONS, outputFormat, render } from "./output.js";
import { runTaskTest } from "./task-test.js";
import { CommandFailed, UsageError } from "./usage-error.js";

/** Help for `poekhali tasks`. */
export const TASKS_HELP = `Usage:
  poekhali tasks list <dag_id> [--tree]                 the DAG's task ids, upstream first (no app needed)
  poekhali tasks states-for-dag-run <dag_id> <run_id> [-o table|json|plain]
                                                        each task's state, try number and times in a run
                                                        (also: tasks states)
  poekhali tasks clear <dag_id> [-t REGEX] [-u] [-d] [-r RUN_ID] [-f] [--yes]
                                                        the task instances a clear would reset (Airflow's
                                                        tasks clear; -u/-d add upstream/downstream, -f only
                                                        failed ones); --yes resets them: an ended run runs
                                                        them again
  poekhali tasks test <dag_id> <task_id> [--conf JSON] [--upstream JSON]
                                                        run one task here, without Restate and without recording
                                                        anything (Airflow's tasks test); --upstream gives the
                                                        outputs of the tasks it takes data from, by task id

Options: -o/--output table|json|plain (--json = -o json), --url URL (for states; default POEKHALI_URL,
else http://127.0.0.1:$POEKHALI_PORT), --help`;

const json = (flag: string, text: string | undefined): unknown => {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${flag} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
};

/** Runs `poekhali tasks <verb> ...`; returns the exit code. */
export async function tasksCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      conf: { type: "string" },
      upstream: { type: "string" },
      ...OUTPUT_OPTIONS,
      tree: { type: "boolean", default: false },
      "task-regex": { type: "string", short: "t" },
      "run-id": { type: "string", short: "r" },
      "only-failed": { type: "boolean", short: "f", default: false },
      // Airflow's -u/-d; the long names differ, as `tasks test --upstream JSON` came first.
      "include-upstream": { type: "boolean", short: "u", default: false },
      "include-downstream": { type: "boolean", short: "d", default: false },
      yes: { type: "boolean", short: "y", default: false },
      url: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [verb, dagId, second] = positionals;
  if (values.help || !verb) {
    print(TASKS_HELP);
    return values.help ? 0 : 2;
  }
  if (verb === "list") {
    if (!dagId)
      throw new UsageError(
        `poekhali tasks list needs a <dag_id>\n\n${TASKS_HELP}`,
      );
    const dag = dagOf(
      await dagBag((line) => void process.stderr.write(`${line}\n`)),
      dagId,
    );
    print(
      values.tree ? taskTree(dag) : dag.tasks.map((t) => t.taskId).join("\n"),
    );
    return 0;
  }
  if (verb === "clear") {
    if (!dagId)
      throw new UsageError(
        `poekhali tasks clear needs a <dag_id>\n\n${TASKS_HELP}`,
      );
    return clearTasks(dagId, values, print);
  }
  if (!dagId || !second)
    throw new UsageError(
      `poekhali tasks ${verb} needs a <dag_id> and a ${verb === "test" ? "<task_id>" : "<run_id>"}\n\n${TASKS_HELP}`,
    );

  if (verb === "states" || verb === "states-for-dag-run") {
    const path = `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(second)}/taskInstances`;
    type Ti = {
      task_id: string;
      state: string;
      try_number: number;
      start_date: string | null;
      end_date: string | null;
    };
    const { task_instances } = await ApiClient.resolve(values.url).request<{
      task_instances: Ti[];
    }>("GET", path);
    print(
      render(
        outputFormat(values),
        ["task_id", "state", "try_number", "start_date", "end_date"],
        task_instances.map((t) => [
          t.task_id,
          t.state,
          t.try_number,
          t.start_date,
          t.end_date,
        ]),
      ),
    );
    return 0;
  }
  if (verb === "test") {
    const config = resolveConfig();
    const { dags, errors } = await loadDags(config.dagsFolder);
    const dag = dags.get(dagId);
    if (!dag) {
      const broken = errors.map((e) => `\n  ${e.path}: ${e.error}`).join("");
      throw new CommandFailed(
        `no DAG "${dagId}" in ${config.dagsFolder}${broken ? `; files that failed to load:${broken}` : ""}`,
      );
    }
    const upstream = json("--upstream", values.upstream);
    if (
      typeof upstream !== "object" ||
      upstream === null ||
      Array.isArray(upstream)
    )
      throw new UsageError("--upstream must be a JSON object keyed by task id");
    const connections =
      config.telegram && config.airtable
        ? connectionsFrom(config.telegram, config.airtable)
        : undefined;
    try {
      const output = await runTaskTest({
        dag,
        taskId: second,
        conf: json("--conf", values.conf),
        upstream: upstream as Record<string, Json>,
        connections,
        log: print,
      });
      print(JSON.stringify(output, null, 2));
      return 0;
    } catch (error) {
      if (error instanceof ConfError) throw new CommandFailed(error.message);
      throw error;
    }
  }
  throw new UsageError(`unknown verb "tasks ${verb}"\n\n${TASKS_HELP}`);
}

/** `tasks clear`: which task instances match (a dry run, Airflow's default), and with `--yes` the clear itself. */
async function clearTasks(
  dagId: string,
  values: {
    "task-regex"?: string | undefined;
    "run-id"?: string | undefined;
    "only-failed"?: boolean | undefined;
    "include-upstream"?: boolean | undefined;
    "include-downstream"?: boolean | undefined;
    yes?: boolean | undefined;
    url?: string | undefined;
    output?: string | undefined;
    json?: boolean | undefined;
  },
  print: (line: string) => void,
): Promise<number> {
  const format = outputFormat(values);
  let pattern: RegExp | undefined;
  try {
    pattern =
      values["task-regex"] === undefined
        ? undefined
        : new RegExp(values["task-regex"]);
  } catch (error) {
    throw new UsageError(
      `-t/--task-regex is not a regular expression: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const taskIds = pattern
    ? dagOf(
        await dagBag((line) => void process.stderr.write(`${line}\n`)),
        dagId,
      )
        .tasks.map((t) => t.taskId)
        .filter((id) => pattern.test(id))
    : undefined;
  if (taskIds?.length === 0)
    throw new UsageError(
      `no task of ${dagId} matches -t ${values["task-regex"] ?? ""}`,
    );
  const api = ApiClient.resolve(values.url);
  const body = {
    only_failed: values["only-failed"] ?? false,
    include_upstream: values["include-upstream"] ?? false,
    include_downstream: values["include-downstream"] ?? false,
    ...(taskIds ? { task_ids: taskIds } : {}),
    ...(values["run-id"] ? { dag_run_id: values["run-id"] } : {}),
  };
  const path = `/api/v2/dags/${encodeURIComponent(dagId)}/clearTaskInstances`;
  type Ti = { task_id: string; dag_run_id: string; state: string | null };
  const { task_instances } = await api.request<{ task_instances: Ti[] }>(
    "POST",
    path,
    { ...body, dry_run: true },
  );
  print(
    render(
      format,
      ["dag_run_id", "task_id", "state"],
      task_instances.map((t) => [t.dag_run_id, t.task_id, t.state]),
    ),
  );
  if (!values.yes || task_instances.length === 0) return 0;
  await api.request("POST", path, { ...body, dry_run: false });
  print(`cleared ${task_instances.length} task instance(s)`);
  return 0;
}
