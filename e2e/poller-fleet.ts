import { RestateIngress } from "@poekhali/core";
import {
  TelegramHook,
  UpdatePoller,
  type UpdatePollerOptions,
} from "@poekhali/telegram";

/** What a test may set on a fleet's poller (its hook and log are the fleet's; its `workerId` is its name unless set). */
export type PollerSettings = Omit<
  UpdatePollerOptions,
  "hook" | "ingress" | "log"
>;

/** Real update pollers of one emulator bot, started as workers start them, each logging under its name. */
export interface PollerFleet {
  /** Every line the fleet's pollers logged, as `<name>: <line>`, oldest first. */
  readonly lines: string[];
  /**
   * Starts a poller named `name` that hands updates to Restate at `ingress` (a URL or a client), with a test's
   * timings (a 3 s lease, 1 s long polls) unless `settings` say otherwise.
   */
  readonly start: (
    name: string,
    ingress: string | RestateIngress,
    settings?: PollerSettings,
  ) => UpdatePoller;
  /** Whether the poller `name` logged a line containing `text`, among the lines from index `since` on. */
  readonly said: (name: string, text: string, since?: number) => boolean;
  /** Stops one of the fleet's pollers (it gives its lease up) and leaves it out of {@link stopAll}. */
  readonly stop: (poller: UpdatePoller) => Promise<void>;
  /** Stops every poller still running, one after another. */
  readonly stopAll: () => Promise<void>;
}

/**
 * A fleet of pollers for the bot `bot()` names on the Telegram emulator at `bot().apiRoot` (read at each start, so a
 * fleet can be made before the test's `beforeAll` creates the bot).
 *
 * @example
 * const fleet = pollerFleet(() => ({ token: bot.token, apiRoot: telegram.apiRoot }));
 * const p = fleet.start("holder", restate.server.ingressUrl);
 */
export function pollerFleet(
  bot: () => { readonly token: string; readonly apiRoot: string },
): PollerFleet {
  const lines: string[] = [];
  const running: UpdatePoller[] = [];
  return {
    lines,
    start(name, ingress, settings = {}) {
      const { token, apiRoot } = bot();
      const p = new UpdatePoller({
        hook: new TelegramHook({ token, apiRoot }),
        ingress:
          typeof ingress === "string" ? new RestateIngress(ingress) : ingress,
        workerId: name,
        leaseMs: 3_000,
        timeoutSeconds: 1,
        ...settings,
        log: (line) => lines.push(`${name}: ${line}`),
      });
      running.push(p);
      p.start();
      return p;
    },
    said: (name, text, since = 0) =>
      lines
        .slice(since)
        .some((l) => l.startsWith(`${name}: `) && l.includes(text)),
    async stop(poller) {
      const at = running.indexOf(poller);
      if (at >= 0) running.splice(at, 1);
      await poller.stop();
    },
    async stopAll() {
      for (const p of running.splice(0)) await p.stop();
    },
  };
}
