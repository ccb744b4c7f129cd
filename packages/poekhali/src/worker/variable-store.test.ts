import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticConnections, dagWorkflow } from "@poekhali/core";
import {
  Dag,
  airflowVariable,
  compileAirflowDag,
  getClient,
  getContext,
} from "@poekhali/core/airflow";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { DagRuns } from "../api/dag-runs.js";
import { waitFor } from "../wait-for.js";
import { restateVariableStore } from "./variable-store.js";

const sdk = new Dag("variables_in_tasks");
const shadowed = sdk.task("shadowed", async () => ({
  shadowed: await getClient().getVariable("vars_shadow"),
  stored: await getClient().getVariable("vars_stored"),
}));
// Counts its tries in a Variable and fails the first: the failed try's write stays, the retry writes again.
const counted = sdk.task(
  "counted",
  async () => {
    const client = getClient();
    const before = Number((await client.getVariable("vars_tries")) ?? "0");
    await client.setVariable("vars_tries", String(before + 1), "tries seen");
    if (getContext().tryNumber === 1) throw new Error("the first try fails");
    return before + 1;
  },
  { retries: 1, retryDelay: 0 },
);
const refused = sdk.task("refused", async () => {
  const client = getClient();
  // Deleting what is not there is fine, as in Airflow's SDK.
  await client.deleteVariable("vars_never_set");
  return await client
    .setVariable("k".repeat(251), "v")
    .then(() => "stored")
    .catch((error: unknown) => (error as Error).message);
});
counted().after(shadowed());
refused();

describe("Variables from a task, in Restate through the worker's store", () => {
  let restate: TemporaryRestate;
  let runs: DagRuns;
  const dag = compileAirflowDag(sdk).dag;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-variables-");
    await restate.deploy([
      airflowVariable,
      dagWorkflow(dag, {
        connections: new StaticConnections([]),
        variableStore: restateVariableStore(restate.ingress.url),
      }),
    ]);
    runs = new DagRuns(restate.ingress, restate.server);
    process.env.AIRFLOW_VAR_VARS_SHADOW = "from the environment";
  }, 60_000);
  afterAll(async () => {
    delete process.env.AIRFLOW_VAR_VARS_SHADOW;
    await restate?.stop();
  });

  it("is one store for every worker: what one writes, another reads, and deletes", async () => {
    const one = restateVariableStore(restate.ingress.url);
    const other = restateVariableStore(restate.ingress.url);
    await one.set("shared", { value: "v1", description: "d" });
    expect(await other.get("shared")).toEqual({
      value: "v1",
      description: "d",
    });
    expect(await other.delete("shared")).toBe(true);
    expect(await one.get("shared")).toBeNull();
    expect(await one.delete("shared")).toBe(false);
  });

  it("reads the environment before the store, keeps a failed try's write, and refuses a key Airflow refuses", async () => {
    const store = restateVariableStore(restate.ingress.url);
    await store.set("vars_shadow", {
      value: "from the store",
      description: null,
    });
    await store.set("vars_stored", { value: "only stored", description: null });
    await runs.trigger(dag, "run_1", {});
    let state = "";
    await waitFor("the run to end", 60_000, async () => {
      state = (await runs.get(dag, "run_1"))?.run.state ?? "";
      return state === "success" || state === "failed";
    });
    expect(state).toBe("success");
    const counted = (await runs.xcom(dag, "run_1", "counted"))?.value;
    const shadowedOut = (await runs.xcom(dag, "run_1", "shadowed"))?.value;
    const refusedOut = (await runs.xcom(dag, "run_1", "refused"))?.value;
    expect(shadowedOut).toEqual({
      shadowed: "from the environment",
      stored: "only stored",
    });
    // Try 1 wrote 1 and failed; try 2 read it and wrote 2: a Variable write is at least once, as in Airflow.
    expect(counted).toBe(2);
    expect(await store.get("vars_tries")).toEqual({
      value: "2",
      description: "tries seen",
    });
    expect(refusedOut).toBe(
      `a Variable key has at most 250 characters (this one has 251): "${"k".repeat(251)}"`,
    );
  });
});
