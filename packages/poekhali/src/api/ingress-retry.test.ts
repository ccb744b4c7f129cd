import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DAG_STATE,
  DAG_STATE_NAME,
  dagStateObject,
} from "../api-state/dag-state-object.js";
import { signChange } from "../api-state/signed-change.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { waitFor } from "../wait-for.js";
import { ApiState } from "./api-state.js";
import { retryPassing, waitReason } from "./ingress-retry.js";
import { createServer } from "node:net";

describe("retryPassing waits out what passes and gives up on a refusal", () => {
  let restate: TemporaryRestate;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-ingress-retry-");
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  it("lands a pause made while no deployment serves the object yet, once one does", async () => {
    const state = new ApiState(restate.ingress.url, restate.server);
    const failures: unknown[] = [];
    const ingress = clients.connect({ url: restate.ingress.url });
    const pausing = retryPassing(
      () =>
        ingress
          .objectClient(DAG_STATE, "r_dag")
          .setPaused(
            signChange(DAG_STATE_NAME, "setPaused", "r_dag", { paused: true }),
          ),
      30_000,
      (error) => failures.push(error),
    );
    // The web tier's start-up check waits the same way, saying what for.
    const lines: string[] = [];
    const checking = state.checkKey((l) => lines.push(l));
    await waitFor("a refused first try", 10_000, () => failures.length > 0);
    await waitFor("the check to say what it waits for", 10_000, () =>
      lines.some((l) =>
        l.includes(
          "checking POEKHALI_INTERNAL_KEY with the workers: Restate does not serve poekhali_dag_state yet: waits for the worker's deployment (poekhali register)",
        ),
      ),
    );
    expect(failures[0]).toBeInstanceOf(clients.HttpCallError);
    expect((failures[0] as clients.HttpCallError).status).toBe(404);
    await restate.deploy([dagStateObject]);
    await pausing;
    await checking;
    expect(await state.isPaused("r_dag")).toBe(true);
  });

  it("throws a handler's refusal at once, without trying again", async () => {
    let tries = 0;
    const ingress = clients.connect({ url: restate.ingress.url });
    await expect(
      retryPassing(() => {
        tries += 1;
        return ingress.objectClient(DAG_STATE, "r_dag").setPaused({
          payload: { paused: false, issued_at: Date.now() },
          signature: "forged",
        });
      }, 30_000),
    ).rejects.toMatchObject({ status: 403 });
    expect(tries).toBe(1);
  });

  it("refuses to start a web tier whose POEKHALI_INTERNAL_KEY the workers do not share, naming it", async () => {
    await restate.deploy([dagStateObject]);
    const wrong = new ApiState(restate.ingress.url, restate.server, {
      key: "not-the-workers-key",
    });
    await expect(wrong.checkKey(() => {})).rejects.toThrow(
      /the worker's POEKHALI_INTERNAL_KEY is not this web tier's/,
    );
    await new ApiState(restate.ingress.url, restate.server).checkKey(() => {});
  });

  it("says a Restate out of reach is out of reach, not unregistered", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, "127.0.0.1", resolve),
    );
    const address = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    const port = typeof address === "object" && address ? address.port : 0;
    const failure: unknown = await fetch(`http://127.0.0.1:${port}/`).catch(
      (error: unknown) => error,
    );
    expect(waitReason(failure, "poekhali_dag_state")).toMatch(
      /^Restate's ingress is out of reach \(fetch failed\): waits for it$/,
    );
  });
});
