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
import { retryPassing } from "./ingress-retry.js";

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
    await waitFor("a refused first try", 10_000, () => failures.length > 0);
    expect(failures[0]).toBeInstanceOf(clients.HttpCallError);
    expect((failures[0] as clients.HttpCallError).status).toBe(404);
    await restate.deploy([dagStateObject]);
    await pausing;
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
});
