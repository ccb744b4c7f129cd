import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "./api-client.js";
import { dagBag, dagDot, dagOf } from "./dag-bag.js";
import { OUTPUT_OPTIONS, outputFormat, render } from "./output.js";
import { CommandFailed, UsageError } from "./usage-error.js";

const warn = (line: string) => void process.stderr.write(`${line}\n`);

interface DagRunView {
  dag_run_id: string;
  state: string;
  start_date: string | null;
  end_date: string | null;
}

/** Help for `poekhali dags`. */
export const DAGS_HELP = `Usage:
  poekhali dags list [-o table|json|plain]                        the DAGs in the DAGs folder (no app needed)
  poekhali dags show <dag_id>                                     the DAG's tasks and edges as Graphviz DOT (no app needed)
  poekhali dags trigger <dag_id> [--conf JSON] [--run-id ID] [--wait] [--json]
                                                                  start a run (with --wait: until it ends; exit 1 if it failed)
  poekhali dags list-runs <dag_id> [-o …]                         the DAG's runs, newest first (also: dags runs)
  poekhali dags pause|unpause <dag_id>                            a paused DAG refuses new runs

Options: -o/--output table|json|plain (--json = -o json), --url URL (default POEKHALI_URL, else
http://127.0.0.1:$POEKHALI_PORT), --help`;

/** Runs `poekhali dags <verb> ...`; returns the exit code. */
export async function dagsCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      conf: { type: "string" },
      "run-id": { type: "string" },
      wait: { type: "boolean", default: false },
      ...OUTPUT_OPTIONS,
      url: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [verb, dagId] = positionals;
  if (values.help || !verb) {
    print(DAGS_HELP);
    return values.help ? 0 : 2;
  }
  const format = outputFormat(values);
  const out = (data: unknown, text: () => string) =>
    print(format === "json" ? JSON.stringify(data, null, 2) : text());

  if (verb === "list") {
    // Read from the DAGs folder, as `airflow dags list` reads its DAG bag: no running app needed.
    const bag = await dagBag(warn);
    print(
      render(
        format,
        ["dag_id", "fileloc", "tags", "description"],
        [...bag.dags.values()].map((d) => [
          d.id,
          join(bag.folder, bag.files.get(d.id) ?? ""),
          d.tags.join(","),
          d.description,
        ]),
      ),
    );
    return bag.errors.length > 0 ? 1 : 0;
  }
  if (!dagId)
    throw new UsageError(
      `poekhali dags ${verb} needs a <dag_id>\n\n${DAGS_HELP}`,
    );
  if (verb === "show") {
    print(dagDot(dagOf(await dagBag(warn), dagId)));
    return 0;
  }
  const api = ApiClient.resolve(values.url);
  const dagPath = `/api/v2/dags/${encodeURIComponent(dagId)}`;
  const base = `${dagPath}/dagRuns`;

  if (verb === "pause" || verb === "unpause") {
    const dag = await api.request<{ dag_id: string; is_paused: boolean }>(
      "PATCH",
      dagPath,
      { is_paused: verb === "pause" },
    );
    out(dag, () =>
      dag.is_paused
        ? `${dag.dag_id} is paused: it refuses new runs`
        : `${dag.dag_id} is unpaused`,
    );
    return 0;
  }

  if (verb === "runs" || verb === "list-runs") {
    const { dag_runs } = await api.request<{ dag_runs: DagRunView[] }>(
      "GET",
      `${base}?order_by=-start_date&limit=100`,
    );
    print(
      render(
        format,
        ["dag_run_id", "state", "start_date", "end_date"],
        dag_runs.map((r) => [r.dag_run_id, r.state, r.start_date, r.end_date]),
      ),
    );
    return 0;
  }
  if (verb === "trigger") {
    let conf: unknown = {};
    if (values.conf !== undefined) {
      try {
        conf = JSON.parse(values.conf);
      } catch (error) {
        throw new UsageError(
          `--conf is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    // Airflow 3's TriggerDAGRunPostBody: a manual run with no logical date unless one is given.
    const body = {
      conf,
      logical_date: null,
      ...(values["run-id"] ? { dag_run_id: values["run-id"] } : {}),
    };
    const run = await api.request<DagRunView>("POST", base, body);
    if (!values.wait) {
      out(run, () => `triggered ${dagId} run ${run.dag_run_id} (${run.state})`);
      return 0;
    }
    if (format !== "json")
      print(`triggered ${dagId} run ${run.dag_run_id}; waiting for it to end…`);
    const path = `${base}/${encodeURIComponent(run.dag_run_id)}`;
    for (;;) {
      const now = await api.request<DagRunView>("GET", path);
      if (now.state === "success" || now.state === "failed") {
        out(now, () => `run ${now.dag_run_id} ended ${now.state}`);
        if (now.state === "failed")
          throw new CommandFailed(
            `run ${now.dag_run_id} of ${dagId} failed; see: poekhali tasks states-for-dag-run ${dagId} ${now.dag_run_id}`,
          );
        return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new UsageError(`unknown verb "dags ${verb}"\n\n${DAGS_HELP}`);
}
