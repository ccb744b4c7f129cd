import {
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox, type Sandbox } from "@poekhali/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_STATE_FILE,
  IMPORTED_API_STATE_FILE,
} from "../packages/poekhali/src/api/api-state-file.js";
import { DAG_STATE_NAME } from "../packages/poekhali/src/api-state/dag-state-object.js";
import { signChange } from "../packages/poekhali/src/api-state/signed-change.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { sandboxEnv } from "../packages/poekhali/src/sandbox-env.js";
import { cli } from "./cli-process.js";
import { eventually } from "./harness.js";
import { spawnRole, startRole, type RoleProcess } from "./role-process.js";

const GO = "telegram_go_button";
const APPROVAL = "telegram_approval";

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A JSON request to one web instance, as curl or the CLI would make it. */
async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const page = async (url: string, path: string) => {
  const res = await fetch(`${url}${path}`);
  expect(res.status, path).toBe(200);
  return res.text();
};

describe("two poekhali web instances on one Restate agree on pauses, notes and trigger details", () => {
  let restate: TemporaryRestate;
  let sandbox: Sandbox;
  const homes: string[] = [];
  const roles: RoleProcess<unknown>[] = [];
  let env: Record<string, string>;

  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-web-tier-"));
    homes.push(dir);
    return dir;
  };

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-web-tier-", {
      signed: true,
    });
    sandbox = await startSandbox({ airtableRateLimit: false });
    env = {
      RESTATE_ADMIN_URL: restate.server.adminUrl,
      RESTATE_INGRESS_URL: restate.server.ingressUrl,
      RESTATE_IDENTITY_KEYS: restate.identityKey?.publicKey ?? "",
      POEKHALI_INTERNAL_KEY: "web-tier-e2e-internal-key",
      ...sandboxEnv(sandbox.info),
      POEKHALI_WORKER_PORT: "0",
      POEKHALI_PORT: "0",
      RESTATE_LOGGING: "WARN",
    };
  });
  afterAll(async () => {
    for (const role of roles.splice(0).reverse()) await role.stop();
    await sandbox?.close();
    await restate?.stop();
    for (const dir of homes.splice(0))
      rmSync(dir, { recursive: true, force: true });
  });

  it("imports an old api-state.json before serving, then shares every pause and note between the instances", async () => {
    const worker = await startRole<{ url: string }>(["worker"], {
      ...env,
      POEKHALI_HOME: home(),
    });
    roles.push(worker);

    // Instance A upgrades a home whose web tier kept telegram_approval paused and a run's note in api-state.json.
    const homeA = home();
    writeFileSync(
      join(homeA, API_STATE_FILE),
      JSON.stringify({
        paused: { [APPROVAL]: true, [GO]: false },
        runs: {
          [GO]: {
            legacy_run: {
              logical_date: null,
              run_after: "2026-01-01T00:00:00.000Z",
              queued_at: "2026-01-01T00:00:00.000Z",
              triggered_by: "rest_api",
              triggering_user_name: "admin",
              note: "from the old file",
            },
          },
        },
      }),
    );
    const portA = await choosePort(0);
    const spawnedA = spawnRole<{ url: string }>(["web"], {
      ...env,
      POEKHALI_HOME: homeA,
      POEKHALI_PORT: String(portA),
    });
    roles.push({ ...spawnedA, ready: undefined });
    // The worker's deployment is not registered yet: A waits to import, and serves nothing meanwhile, so no trigger
    // can reach telegram_approval before its pause is in Restate.
    await eventually("web A to wait for the deployment", () =>
      spawnedA.output().includes("waits for the worker's deployment"),
    );
    await expect(fetch(`http://127.0.0.1:${portA}/healthz`)).rejects.toThrow();
    const registered = await cli(
      ["register", "--worker-url", worker.ready.url],
      { ...env, POEKHALI_HOME: home() },
    );
    expect(registered.code, registered.err).toBe(0);
    const a = (await spawnedA.ready).url;
    expect(spawnedA.output()).toMatch(
      /imported .*api-state\.json into Restate: 2 pause\(s\) and 1 run record\(s\)/,
    );
    expect(existsSync(join(homeA, API_STATE_FILE))).toBe(false);
    expect(existsSync(join(homeA, IMPORTED_API_STATE_FILE))).toBe(true);

    // Instance B: a fresh home, the same Restate and internal key.
    const webB = await startRole<{ url: string }>(["web"], {
      ...env,
      POEKHALI_HOME: home(),
    });
    roles.push(webB);
    const b = webB.ready.url;

    // The imported pause holds on B: its trigger is refused as our API refuses a paused DAG's (409, naming it).
    expect(
      (await api(b, "GET", `/api/v2/dags/${APPROVAL}`)).body.is_paused,
    ).toBe(true);
    const refusedImported = await api(
      b,
      "POST",
      `/api/v2/dags/${APPROVAL}/dagRuns`,
      {},
    );
    expect(refusedImported.status).toBe(409);
    expect(String(refusedImported.body.detail)).toContain(
      `DAG with dag_id: '${APPROVAL}' is paused and starts no new runs`,
    );

    // Paused through A, read through B: REST, the DAG list's JSON, the DAG page.
    const paused = await api(
      a,
      "PATCH",
      `/api/v2/dags/${GO}?update_mask=is_paused`,
      {
        is_paused: true,
      },
    );
    expect(paused.status).toBe(200);
    expect(paused.body.is_paused).toBe(true);
    expect((await api(b, "GET", `/api/v2/dags/${GO}`)).body.is_paused).toBe(
      true,
    );
    const listed = await api(b, "GET", "/api/v2/dags?paused=true");
    expect(
      (listed.body.dags as { dag_id: string }[]).map((d) => d.dag_id).sort(),
    ).toEqual([APPROVAL, GO]);
    const uiDags = (await api(b, "GET", "/ui/dags")).body.dags as {
      dag_id: string;
      is_paused: boolean;
    }[];
    expect(uiDags.find((d) => d.dag_id === GO)?.is_paused).toBe(true);
    expect(await page(b, `/dags/${GO}`)).toContain(
      "Paused: triggers are refused",
    );
    // A trigger on B of the DAG paused on A is refused, by v2 and v1 alike; nothing runs.
    const refused = await api(b, "POST", `/api/v2/dags/${GO}/dagRuns`, {
      dag_run_id: "refused_on_b",
    });
    expect(refused.status).toBe(409);
    expect(String(refused.body.detail)).toContain(
      `DAG with dag_id: '${GO}' is paused and starts no new runs`,
    );
    expect(
      (
        await api(b, "POST", `/api/v1/dags/${GO}/dagRuns`, {
          dag_run_id: "refused_v1",
        })
      ).status,
    ).toBe(409);
    expect(
      (await api(a, "GET", `/api/v2/dags/${GO}/dagRuns/refused_on_b`)).status,
    ).toBe(404);

    // Unpaused through B, triggered through A: B shows the trigger's details as A recorded them.
    expect(
      (await api(b, "PATCH", `/api/v2/dags/${GO}`, { is_paused: false })).body
        .is_paused,
    ).toBe(false);
    expect((await api(a, "GET", `/api/v2/dags/${GO}`)).body.is_paused).toBe(
      false,
    );
    const triggered = await api(a, "POST", `/api/v2/dags/${GO}/dagRuns`, {
      dag_run_id: "shared_run",
      note: "noted at trigger",
    });
    expect(triggered.status).toBe(200);
    const onB = await api(b, "GET", `/api/v2/dags/${GO}/dagRuns/shared_run`);
    expect(onB.status).toBe(200);
    for (const field of ["run_after", "queued_at", "triggered_by", "note"])
      expect(onB.body[field], field).toEqual(triggered.body[field]);

    // A run note and a task instance's note through A, read through B (REST and the run page).
    const noted = await api(
      a,
      "PATCH",
      `/api/v2/dags/${GO}/dagRuns/shared_run?update_mask=note`,
      { note: "Ship it — Поехали" },
    );
    expect(noted.status).toBe(200);
    expect(noted.body.note).toBe("Ship it — Поехали");
    expect(
      (
        await api(
          a,
          "PATCH",
          `/api/v2/dags/${GO}/dagRuns/shared_run/taskInstances/send_button?update_mask=note`,
          {
            note: "task note",
          },
        )
      ).status,
    ).toBe(200);
    const readOnB = await api(
      b,
      "GET",
      `/api/v2/dags/${GO}/dagRuns/shared_run`,
    );
    expect(readOnB.body.note).toBe("Ship it — Поехали");
    expect(readOnB.body.run_after).toBe(triggered.body.run_after);
    expect(
      (
        await api(
          b,
          "GET",
          `/api/v2/dags/${GO}/dagRuns/shared_run/taskInstances/send_button`,
        )
      ).body.note,
    ).toBe("task note");
    expect(await page(b, `/dags/${GO}/runs/shared_run`)).toContain(
      "Ship it — Поехали",
    );

    // A hostile page's cross-site POST is refused by either instance, and changes nothing.
    for (const url of [a, b]) {
      const forged = await api(
        url,
        "PATCH",
        `/api/v2/dags/${GO}?update_mask=is_paused`,
        { is_paused: true },
        { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      );
      expect(forged.status, url).toBe(403);
      const forgedTrigger = await api(
        url,
        "POST",
        `/api/v2/dags/${GO}/dagRuns`,
        { dag_run_id: "forged" },
        { origin: "https://evil.example" },
      );
      expect(forgedTrigger.status, url).toBe(403);
    }
    // The same page sending straight to Restate's ingress (which answers any origin's CORS preflight): unsigned, or
    // with a real signature of the web tier for another handler (importPaused's, the same payload), refused by the
    // worker process.
    const ingress = `${restate.server.ingressUrl}/${DAG_STATE_NAME}/${GO}/setPaused`;
    for (const body of [
      { payload: { paused: true, issued_at: Date.now() } },
      signChange(
        DAG_STATE_NAME,
        "importPaused",
        GO,
        { paused: true },
        env.POEKHALI_INTERNAL_KEY,
      ),
    ]) {
      const forged = await fetch(ingress, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: "https://evil.example",
        },
        body: JSON.stringify(body),
      });
      expect(forged.status).toBe(403);
    }
    expect((await api(b, "GET", `/api/v2/dags/${GO}`)).body.is_paused).toBe(
      false,
    );
    expect(
      (await api(a, "GET", `/api/v2/dags/${GO}/dagRuns/forged`)).status,
    ).toBe(404);

    // The run is cancelled through B; the stack stops with nothing parked.
    expect(
      (
        await api(b, "PATCH", `/api/v2/dags/${GO}/dagRuns/shared_run`, {
          state: "failed",
        })
      ).status,
    ).toBe(200);
  });

  // After the test above: the worker it started is registered.
  it("stops an instance whose POEKHALI_INTERNAL_KEY is not the worker's, naming it, and leaves its api-state.json", async () => {
    const dir = home();
    writeFileSync(
      join(dir, API_STATE_FILE),
      JSON.stringify({ paused: { [GO]: true } }),
    );
    const started = await cli(["web"], {
      ...env,
      POEKHALI_HOME: dir,
      POEKHALI_INTERNAL_KEY: "not-the-workers-internal-key",
    });
    expect(started.code).not.toBe(0);
    expect(started.out).toBe("");
    expect(started.err).toContain(
      "the worker's POEKHALI_INTERNAL_KEY is not this web tier's",
    );
    expect(existsSync(join(dir, API_STATE_FILE))).toBe(true);
  });

  // After the first test: the worker it started is registered.
  it("stops an instance whose POEKHALI_INTERNAL_KEY is not the worker's even with no api-state.json, before it listens", async () => {
    const started = await cli(["web"], {
      ...env,
      POEKHALI_HOME: home(),
      POEKHALI_INTERNAL_KEY: "a-typo-in-the-internal-key",
    });
    expect(started.code).not.toBe(0);
    expect(started.out).toBe("");
    expect(started.err).toContain(
      "the worker's POEKHALI_INTERNAL_KEY is not this web tier's",
    );
    expect(started.err).not.toContain("a-typo-in-the-internal-key");
  });

  it("starts two instances on one home at once, both importing its api-state.json, keeping one backup", async () => {
    const dir = home();
    writeFileSync(
      join(dir, API_STATE_FILE),
      JSON.stringify({ paused: { [APPROVAL]: true } }),
    );
    const spawned = [0, 1].map(() =>
      spawnRole<{ url: string }>(["web"], { ...env, POEKHALI_HOME: dir }),
    );
    for (const one of spawned) roles.push({ ...one, ready: undefined });
    const urls = await Promise.all(
      spawned.map(async (one) => (await one.ready).url),
    );
    for (const url of urls)
      expect(
        (await api(url, "GET", `/api/v2/dags/${APPROVAL}`)).body.is_paused,
      ).toBe(true);
    expect(
      readdirSync(dir).filter((f) => f.startsWith(API_STATE_FILE)),
    ).toEqual([IMPORTED_API_STATE_FILE]);
  });
});
