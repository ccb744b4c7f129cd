import type { EndpointOptions } from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestateIngress } from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import { POLL_LEASE_NAME, pollLease } from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually, sourceAt, throughout } from "./harness.js";
import { pollerFleet } from "./poller-fleet.js";

// The Telegram provider as main had it before the lease's `ask` (20338fe): its poller renews with `acquire`, which
// its lease object judged when it ran. A rolling upgrade runs such workers beside this tree's for a while.
const BEFORE_ASK = "20338fe2be2d41413c32870f374a0473ed848839";

/** What the test uses of the older poller: the same surface as this tree's. */
interface OlderPoller {
  readonly polling: boolean;
  start(): void;
  stop(): Promise<void>;
}
interface OlderUpdates {
  UpdatePoller: new (options: {
    hook: unknown;
    ingress: RestateIngress;
    workerId: string;
    leaseMs: number;
    timeoutSeconds: number;
    log: (line: string) => void;
  }) => OlderPoller;
}
interface OlderHooks {
  TelegramHook: new (options: { token: string; apiRoot: string }) => unknown;
}
interface OlderLease {
  pollLease: EndpointOptions["services"][number];
}

describe("the poll lease in a mixed fleet, during an upgrade from `acquire` to `ask`", () => {
  const older = sourceAt(BEFORE_ASK, ["packages/telegram/src"]);
  let restate: TemporaryRestate;
  let telegram: TelegramEmulator;
  let bot: { id: number; token: string };
  const fleet = pollerFleet(() => ({
    token: bot.token,
    apiRoot: telegram.apiRoot,
  }));
  const olderLines: string[] = [];
  const olderPollers: OlderPoller[] = [];

  /** Starts a poller of the older release, as a worker not yet upgraded runs it. */
  async function olderPoller(name: string): Promise<OlderPoller> {
    const { UpdatePoller } = await older.load<OlderUpdates>(
      "packages/telegram/src/updates/update-poller.ts",
    );
    const { TelegramHook } = await older.load<OlderHooks>(
      "packages/telegram/src/hooks/telegram-hook.ts",
    );
    const p = new UpdatePoller({
      hook: new TelegramHook({ token: bot.token, apiRoot: telegram.apiRoot }),
      ingress: new RestateIngress(restate.server.ingressUrl),
      workerId: name,
      leaseMs: 3_000,
      timeoutSeconds: 1,
      log: (line) => olderLines.push(`${name}: ${line}`),
    });
    olderPollers.push(p);
    p.start();
    return p;
  }

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-lease-upgrade-");
    telegram = await TelegramEmulator.start();
    bot = telegram.createBot({ username: "lease_upgrade_bot" });
  });
  afterAll(async () => {
    await fleet.stopAll();
    for (const p of olderPollers.splice(0)) await p.stop();
    await telegram?.close();
    await restate?.stop();
    older.remove();
  });

  it("keeps the new poller out while the old holder's lease lasts, refuses the old workers' `acquire` naming why, and hands over once it lapses", async () => {
    // Before the upgrade: the older lease object is registered and an older worker polls.
    const { pollLease: olderLease } = await older.load<OlderLease>(
      "packages/telegram/src/updates/poll-lease.ts",
    );
    await restate.deploy([olderLease]);
    const holder = await olderPoller("old-holder");
    await eventually("the older worker to poll", () => holder.polling, 15_000);

    // `register` of the new code: Restate runs every later ask on this tree's lease object, the older holder's
    // renewals by `acquire` included. A new worker starts, and another older one is still (re)starting.
    await restate.deploy([pollLease]);
    const upgraded = fleet.start("new-worker", restate.server.ingressUrl, {
      leaseMs: 3_000,
    });
    const laggard = await olderPoller("old-laggard");
    let both = 0;
    let laggardPolled = false;
    let holderStoppedAt: number | undefined;
    let upgradedPolledAt: number | undefined;
    const watch = setInterval(() => {
      if (holder.polling && upgraded.polling) both++;
      if (laggard.polling) laggardPolled = true;
      if (!holder.polling) holderStoppedAt ??= performance.now();
      if (upgraded.polling) upgradedPolledAt ??= performance.now();
    }, 20);
    try {
      // The new poller asks while the older holder's lease, stored by `acquire`, still runs: it stands by.
      await eventually(
        "the new worker to stand by for the older holder",
        () => fleet.said("new-worker", "is polled by old-holder") || undefined,
        15_000,
      );
      // The older workers' `acquire` is refused for good, saying which worker to upgrade, not judged late.
      await eventually(
        "the older holder's renewals to be refused",
        () =>
          olderLines.some(
            (l) =>
              l.startsWith("old-holder: ") &&
              l.includes("by `acquire`") &&
              l.includes("upgrade that worker"),
          ) || undefined,
        15_000,
      );
      // It polls on only until the lease it was granted runs out, then the new worker takes over.
      await eventually(
        "the older holder to stop",
        () => !holder.polling,
        15_000,
      );
      await eventually(
        "the new worker to take over",
        () => upgraded.polling,
        15_000,
      );
      // The older worker that asked only after the upgrade never polls, and says why.
      await throughout(2_000, () => {
        expect(laggard.polling).toBe(false);
        expect(upgraded.polling).toBe(true);
      });
      expect(
        olderLines.some(
          (l) =>
            l.startsWith("old-laggard: ") &&
            l.includes(`${POLL_LEASE_NAME} ${bot.id}: refused an ask`) &&
            l.includes("upgrade that worker"),
        ),
      ).toBe(true);
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
    expect(laggardPolled).toBe(false);
    expect(upgradedPolledAt).toBeGreaterThanOrEqual(holderStoppedAt!);
  }, 90_000);
});
