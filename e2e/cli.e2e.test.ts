import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli-process.js";
import { startApp, type AppUnderTest } from "./harness.js";
import { cancelRun, sandboxOf, sensorsParked, trigger } from "./sandbox.js";

const ROOT = new URL("..", import.meta.url).pathname;

describe("the poekhali CLI without a running app", () => {
  // Nothing listens here: these verbs read the DAGs folder, as Airflow's read the DAG bag.
  const offline = { POEKHALI_PORT: "9", POEKHALI_URL: "http://127.0.0.1:9" };

  it("lists the DAGs folder's DAGs, as a table, JSON or plain lines", async () => {
    const asJson = await cli(["dags", "list", "-o", "json"], offline);
    expect(asJson.code).toBe(0);
    // The Telegram approval, the course DAG, and the course DAG written with Airflow's TypeScript SDK API.
    expect(JSON.parse(asJson.out)).toEqual([
      expect.objectContaining({
        dag_id: "telegram_approval",
        fileloc: join(ROOT, "dags", "telegram_approval.ts"),
      }),
      expect.objectContaining({
        dag_id: "telegram_go_button",
        fileloc: join(ROOT, "dags", "telegram_go_button.ts"),
      }),
      expect.objectContaining({
        dag_id: "telegram_go_button_sdk",
        fileloc: join(ROOT, "dags", "telegram_go_button_sdk.ts"),
      }),
    ]);
    const plain = await cli(["dags", "list", "--output", "plain"], offline);
    expect(plain.out.split("\t")[0]).toBe("telegram_approval");
  });

  it("shows a DAG as Graphviz DOT and lists its tasks upstream first", async () => {
    const show = await cli(["dags", "show", "telegram_go_button"], offline);
    expect(show.code).toBe(0);
    expect(show.out).toContain('"send_button" -> "wait_for_press";');
    const tasks = await cli(["tasks", "list", "telegram_go_button"], offline);
    expect(tasks.out.trim().split("\n")).toEqual([
      "check_table",
      "send_button",
      "wait_for_press",
      "write_row",
    ]);
  });

  it("names what is wrong with a misspelt DAG id or output format, with exit code 2", async () => {
    const dag = await cli(["dags", "show", "telegram_go_buton"], offline);
    expect(dag.code).toBe(2);
    expect(dag.err).toContain(
      'no DAG "telegram_go_buton" in the DAGs folder; there are: telegram_approval, telegram_go_button, telegram_go_button_sdk',
    );
    const format = await cli(["dags", "list", "-o", "yaml"], offline);
    expect(format.code).toBe(2);
    expect(format.err).toContain("--output must be table, json or plain");
  });
});

describe("the poekhali CLI", () => {
  let app: AppUnderTest;
  let url: string[];

  beforeAll(async () => {
    app = await startApp();
    url = ["--url", app.url];
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("lists DAGs", async () => {
    const { code, out } = await cli(["dags", "list", ...url]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /^telegram_approval +\| \S+dags\/telegram_approval\.ts +\| telegram,airtable,hitl/m,
    );
    expect(out).toMatch(
      /^telegram_go_button +\| \S+dags\/telegram_go_button\.ts +\| airflow101,telegram,airtable/m,
    );
    expect(out).toMatch(
      /^telegram_go_button_sdk \| \S+dags\/telegram_go_button_sdk\.ts \| airflow101,telegram,airtable/m,
    );
  });

  it("triggers, waits for the press and exits 0 on success; then shows runs and task states", async () => {
    const sandbox = await sandboxOf(app);
    const waiting = cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--run-id",
      "cli_1",
      "--conf",
      '{"text": "Из CLI"}',
      "--wait",
      ...url,
    ]);
    const message = await sandbox.messageWithButton("Из CLI");
    await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    const done = await waiting;
    expect(done.code).toBe(0);
    expect(done.out).toContain("run cli_1 ended success");

    const runs = await cli([
      "dags",
      "runs",
      "telegram_go_button",
      "--json",
      ...url,
    ]);
    expect(JSON.parse(runs.out)).toContainEqual(
      expect.objectContaining({ dag_run_id: "cli_1", state: "success" }),
    );
    const states = await cli([
      "tasks",
      "states",
      "telegram_go_button",
      "cli_1",
      ...url,
    ]);
    expect(states.code).toBe(0);
    for (const id of [
      "check_table",
      "send_button",
      "wait_for_press",
      "write_row",
    ])
      expect(states.out).toMatch(
        new RegExp(`^${id} +\\| success +\\| 1 `, "m"),
      );
  });

  it("exits 1 when a waited-for run fails", async () => {
    const { code, err } = await cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--conf",
      '{"timeout": "1s"}',
      "--wait",
      ...url,
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(
      /failed; see: poekhali tasks states-for-dag-run telegram_go_button manual__/,
    );
  });

  it("names the bad field of a conf, and a reused run id", async () => {
    const bad = await cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--conf",
      '{"timeout": "soon"}',
      ...url,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('"timeout"');
    const reused = await cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--run-id",
      "cli_1",
      ...url,
    ]);
    expect(reused.code).toBe(1);
    expect(reused.err).toContain("already exists");
    const notJson = await cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--conf",
      "{nope",
      ...url,
    ]);
    expect(notJson.code).toBe(2);
  });

  it("tests one task in-process against the services in the environment, without Restate", async () => {
    const { info } = await sandboxOf(app);
    const sandbox = await sandboxOf(app);
    const before = (await sandbox.messages()).length;
    const { code, out } = await cli(
      [
        "tasks",
        "test",
        "telegram_go_button",
        "send_button",
        "--conf",
        '{"text": "Проверка задачи"}',
      ],
      {
        TELEGRAM_BOT_TOKEN: info.telegram.token,
        TELEGRAM_CHAT_ID: info.telegram.chat_id,
        TELEGRAM_API_ROOT: info.telegram.api_root,
        AIRTABLE_TOKEN: info.airtable.token,
        AIRTABLE_BASE_ID: info.airtable.base_id,
        AIRTABLE_ENDPOINT_URL: info.airtable.endpoint_url,
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.slice(out.indexOf("{")))).toMatchObject({
      chat_id: info.telegram.chat_id,
      message_id: expect.any(Number),
    });
    const messages = await sandbox.messages();
    expect(messages).toHaveLength(before + 1);
    expect(messages.at(-1)?.text).toBe("Проверка задачи");
    expect(out + code).not.toContain(info.telegram.token);
  });

  it("refuses to test a deferrable sensor, saying why", async () => {
    const { code, err } = await cli([
      "tasks",
      "test",
      "telegram_go_button",
      "wait_for_press",
    ]);
    expect(code).toBe(1);
    expect(err).toContain("deferrable sensor");
  });

  it("pauses a DAG so that a trigger is refused naming the pause, and unpauses it", async () => {
    const paused = await cli(["dags", "pause", "telegram_go_button", ...url]);
    expect(paused.code).toBe(0);
    expect(paused.out).toContain("telegram_go_button is paused");
    const refused = await cli([
      "dags",
      "trigger",
      "telegram_go_button",
      "--run-id",
      "cli_paused",
      ...url,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/paused/i);
    const unpaused = await cli([
      "dags",
      "unpause",
      "telegram_go_button",
      ...url,
    ]);
    expect(unpaused.code).toBe(0);
    expect(unpaused.out).toContain("telegram_go_button is unpaused");
  });

  it("shows what tasks clear would reset, refuses while the run waits, and clears it once it has ended", async () => {
    const dry = await cli([
      "tasks",
      "clear",
      "telegram_go_button",
      "-t",
      "^send_",
      "-r",
      "cli_1",
      "-o",
      "json",
      ...url,
    ]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out)).toEqual([
      { dag_run_id: "cli_1", task_id: "send_button", state: "success" },
    ]);
    const typo = await cli([
      "tasks",
      "clear",
      "telegram_go_button",
      "-t",
      "^sned",
      ...url,
    ]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("no task of telegram_go_button matches");
    await trigger(app, { dag_run_id: "cli_clear" });
    await sensorsParked(app, ["cli_clear"]);
    const clearIt = (...more: string[]) =>
      cli([
        "tasks",
        "clear",
        "telegram_go_button",
        "-t",
        "^send_",
        "-r",
        "cli_clear",
        ...more,
        "--yes",
        ...url,
      ]);
    const asked = await clearIt();
    expect(asked.code).toBe(1);
    expect(asked.err).toContain(
      "run 'cli_clear' is running: poekhali clears task instances only once a run has ended",
    );
    expect(await cancelRun(app, "cli_clear")).toBe(200);
    const cleared = await clearIt("-d");
    expect(cleared.code, cleared.err).toBe(0);
    expect(cleared.out).toContain("cleared 3 task instance(s)");
    // The cleared run sends its button again and waits for it.
    await sensorsParked(app, ["cli_clear"]);
  });

  it("prints help for every command", async () => {
    for (const args of [
      ["--help"],
      ["up", "--help"],
      ["emulators", "--help"],
      ["dags", "--help"],
      ["tasks", "--help"],
      ["worker", "--help"],
      ["web", "--help"],
      ["register", "--help"],
    ]) {
      const { code, out } = await cli(args);
      expect(code).toBe(0);
      expect(out).toContain("Usage");
    }
  });
});
