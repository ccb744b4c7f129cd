import * as restate_ from "@restatedev/restate-sdk";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import { TelegramEmulator } from "@poekhali/emulators";
import {
  leaseHolder,
  MAX_RENEWALS_IN_FLIGHT,
  MAX_RENEWALS_QUEUED,
  POLL_LEASE_NAME,
  pollLease,
} from "@poekhali/telegram";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import {
  serveEndpoint,
  type ServedEndpoint,
} from "../packages/poekhali/src/worker/serve-endpoint.js";
import { eventually, throughout } from "./harness.js";
import { pollerFleet } from "./poller-fleet.js";
import { startSlowIngress } from "./slow-ingress.js";

// The poll lease against a Restate that is kept busy: its deployment holds every invocation of the lease object for
// a while before the handler sees it, as a worker whose event loop is busy with runs, or a server whose partition is
// busy, does. Restate has taken each ask at once; it runs them one after another, as it runs one key's invocations.
describe("the poll lease under a busy Restate", () => {
  let restate: TemporaryRestate;
  let endpoint: ServedEndpoint;
  let telegram: TelegramEmulator;
  let bot: { id: number; token: string };
  /** How long the deployment holds each invocation of the lease object before running it. */
  let leaseDelayMs = 0;
  const closers: (() => Promise<void>)[] = [];
  const fleet = pollerFleet(() => ({
    token: bot.token,
    apiRoot: telegram.apiRoot,
  }));
  const { lines, said } = fleet;
  const poller = (name: string, ingressUrl: string, leaseMs: number) =>
    fleet.start(name, ingressUrl, { leaseMs });
  /** Asks for the lease that Restate has taken and not yet answered. */
  const unanswered = async () =>
    Number(
      (
        await restate.server.query<{ n: number }>(
          `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = '${POLL_LEASE_NAME}' AND status <> 'completed'`,
        )
      )[0]?.n ?? 0,
    );

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-lease-");
    const handler = createEndpointHandler({ services: [pollLease] });
    endpoint = await serveEndpoint(
      (req, res) => {
        if (leaseDelayMs > 0 && req.url.includes(`/${POLL_LEASE_NAME}/`))
          setTimeout(() => handler(req, res), leaseDelayMs);
        else handler(req, res);
      },
      { port: await choosePort(0) },
    );
    await restate.server.register(endpoint.url);
    telegram = await TelegramEmulator.start();
    bot = telegram.createBot({ username: "lease_bot" });
  });
  afterEach(async () => {
    // Asks still queued run at once, so that a stopping poller's release is not held behind them.
    leaseDelayMs = 0;
    await fleet.stopAll();
    for (const close of closers.splice(0)) await close();
    // Asks left from the test before (a stopped poller's last ones) must not hold the key for the next.
    await eventually("the lease's queue to empty", async () =>
      (await unanswered()) === 0 ? true : undefined,
    );
  });
  afterAll(async () => {
    await telegram?.close();
    await endpoint?.stop();
    await restate?.stop();
  });

  it("keeps its lease while Restate runs each ask 8 s late, one after another (a 6 s lease)", async () => {
    const p = poller("busy", restate.server.ingressUrl, 6_000);
    await eventually("the poller to hold the lease", () => p.polling, 15_000);
    leaseDelayMs = 8_000;
    const since = lines.length;
    // Each ask runs later than the lease lasts: judged when it ran, or waited for before the lease counts it, the
    // lease lapses at once; main's poller lost it within the first 6 s of this.
    await throughout(
      20_000,
      async () => {
        expect(said("busy", "stopped polling", since)).toBe(false);
        expect(p.polling).toBe(true);
        expect(await unanswered()).toBeLessThanOrEqual(MAX_RENEWALS_QUEUED);
      },
      250,
    );
    // While Restate sat on its asks, the poller asked only as the lease ran low: at least two 0.6 s periods apart
    // (0.9 - 0.7 of the lease after the last ask taken), so at most ~18 in the 20 s, of which the first two have run.
    // Asked every period, the queue would have reached its cap of 20 within 12 s and stayed there; a loaded box only
    // fires the timers later, which makes fewer asks.
    expect(await unanswered()).toBeLessThan(MAX_RENEWALS_QUEUED);
  }, 60_000);

  it("refuses every ask by the older `acquire`, and an `ask` with a malformed field, naming what is wrong", async () => {
    const ask = (handler: string, body: Record<string, unknown>) =>
      restate.ingress.call(
        { service: POLL_LEASE_NAME, handler, key: String(bot.id) },
        body as never,
      );
    await expect(
      ask("acquire", { holder: "old", ttl_ms: 15_000, asked_at: Date.now() }),
    ).rejects.toThrow(/by `acquire`: the asking worker's poller is older/);
    await expect(ask("ask", { holder: "x", ttl_ms: 15_000 })).rejects.toThrow(
      /`asked_at` is not a number/,
    );
    await expect(
      ask("ask", { holder: "x", ttl_ms: "15s", asked_at: Date.now() }),
    ).rejects.toThrow(/`ttl_ms` is not a positive number/);
    await expect(
      ask("ask", { holder: "", ttl_ms: 15_000, asked_at: Date.now() }),
    ).rejects.toThrow(/`holder` is not a non-empty string/);
  });

  it("stands by, saying so once, while the registered lease object is older (no `ask`), and polls once it is registered", async () => {
    // A rolling upgrade between starting the new workers and `register`: Restate serves the older object, which judges
    // an ask when it runs, so a new poller must not count on the asks it takes.
    const older = await startTemporaryRestate("poekhali-lease-older-");
    closers.push(() => older.stop());
    await older.deploy([
      restate_.object({
        name: POLL_LEASE_NAME,
        handlers: {
          acquire: async (
            ctx: restate_.ObjectContext,
            ask: { holder: string; ttl_ms: number },
          ) => {
            const now = await ctx.date.now();
            ctx.set("lease", {
              holder: ask.holder,
              expires_at: now + ask.ttl_ms,
            });
            return {
              holder: ask.holder,
              expires_at: now + ask.ttl_ms,
              held: true,
            };
          },
          release: () => Promise.resolve(),
        },
      }),
    ]);
    const p = poller("upgraded", older.server.ingressUrl, 3_000);
    await eventually(
      "the poller to say it stands by for the older object",
      () =>
        said("upgraded", `does not know ${POLL_LEASE_NAME}/ask yet`) ||
        undefined,
      15_000,
    );
    // Six periods of asking again: it never polls, and says it once, not once per ask.
    await throughout(2_000, () => {
      expect(p.polling).toBe(false);
    });
    const mine = lines.filter((l) => l.startsWith("upgraded: "));
    expect(mine.filter((l) => l.includes("/ask yet")).length).toBe(1);
    expect(mine.some((l) => l.includes("could not reach Restate"))).toBe(false);
    await older.deploy([pollLease]);
    await eventually(
      "the poller to poll once registered",
      () => p.polling,
      15_000,
    );
  }, 60_000);

  it("keeps its lease, and its asks counted, while their answers cannot be had for a while (Restate still runs them)", async () => {
    // The holder's asks reach Restate, which runs each 1 s late; for 8 s every attach for an answer gets a proxy's 503,
    // as after a network blip. Counted as gone, the asks would be asked again every period and pile up in Restate, and
    // the holder would drop the lease at the first failed answer although Restate took its renewals in time.
    let blip = false;
    const line = await startSlowIngress(
      restate.server.ingressUrl,
      ({ path }) =>
        blip && path.includes("/restate/invocation/") ? { refuse: true } : {},
    );
    closers.push(() => line.close());
    const p = poller("blip", line.url, 6_000);
    await eventually("the poller to hold the lease", () => p.polling, 15_000);
    leaseDelayMs = 1_000;
    const since = lines.length;
    blip = true;
    await throughout(
      8_000,
      async () => {
        expect(said("blip", "stopped polling", since)).toBe(false);
        expect(p.polling).toBe(true);
        expect(await unanswered()).toBeLessThanOrEqual(MAX_RENEWALS_QUEUED);
      },
      250,
    );
    blip = false;
    expect(said("blip", "stays counted and is asked for again", since)).toBe(
      true,
    );
    await eventually(
      "the answers to come again",
      () => said("blip", "asks for the lease again", since) || undefined,
      30_000,
    );
    expect(p.polling).toBe(true);
  }, 90_000);

  it("keeps no more than 10 asks waiting for Restate at once", async () => {
    // Once the poller holds the lease, every ask is held 20 s, then refused: none is answered while the holder asks
    // every 0.3 s, and none reaches Restate to queue up ahead of the next test's.
    let hold = false;
    const slow = await startSlowIngress(
      restate.server.ingressUrl,
      ({ path }) =>
        hold && path.includes(`/${POLL_LEASE_NAME}/`)
          ? { delayMs: 20_000, refuse: true }
          : {},
      [`/${POLL_LEASE_NAME}/`],
    );
    closers.push(() => slow.close());
    const p = poller("unanswered", slow.url, 3_000);
    await eventually("the poller to hold the lease", () => p.polling, 15_000);
    hold = true;
    await eventually(
      "the poller to have 10 asks in flight",
      () => slow.peak(`/${POLL_LEASE_NAME}/`) >= MAX_RENEWALS_IN_FLIGHT,
      10_000,
    );
    // Twice as long again: an eleventh ask would have been due six times over (and the lease ran out meanwhile).
    await throughout(
      6_000,
      () => {
        expect(slow.peak(`/${POLL_LEASE_NAME}/`)).toBe(MAX_RENEWALS_IN_FLIGHT);
      },
      250,
    );
    expect(MAX_RENEWALS_IN_FLIGHT).toBe(10);
    expect(said("unanswered", "stopped polling")).toBe(true);
  }, 60_000);

  it("never lets two poll at once, and a stand-by takes over about a lease after the holder is cut off", async () => {
    // The holder reaches Restate through a proxy that can cut it off, as a crash would; the stand-by directly.
    let cut = false;
    const line = await startSlowIngress(restate.server.ingressUrl, () => ({
      refuse: cut,
    }));
    closers.push(() => line.close());
    const holder = poller("holder", line.url, 3_000);
    await eventually("the holder to poll", () => holder.polling, 15_000);
    leaseDelayMs = 1_000;
    const standBy = poller("stand-by", restate.server.ingressUrl, 3_000);
    await eventually(
      "the stand-by to see who polls",
      () => said("stand-by", "is polled by holder") || undefined,
      15_000,
    );
    let both = 0;
    const watch = setInterval(() => {
      if (holder.polling && standBy.polling) both++;
    }, 20);
    try {
      // While the holder's asks get through, however late they run, the stand-by stays out.
      await throughout(6_000, () => {
        expect(standBy.polling).toBe(false);
        expect(holder.polling).toBe(true);
      });
      cut = true;
      const cutAt = Date.now();
      // The holder's asks still queued for the bot run (1 s each, plus their overhead) before the stand-by's.
      const queued = await unanswered();
      await eventually("the holder to stop", () => !holder.polling, 10_000);
      await eventually(
        "the stand-by to take over",
        () => standBy.polling,
        60_000,
      );
      // A lease (3 s) and a period, or the drain of the holder's asks queued at the cut (up to 2 s each on a loaded
      // box) and the stand-by's own ask and re-ask, whichever is longer.
      expect(Date.now() - cutAt).toBeLessThan(
        Math.max(3_000 + 300, (queued + 2) * 2_000) + 2_000,
      );
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
  }, 90_000);

  it("takes over within a lease, its margin and one ask after the holder dies, while Restate answers the stand-by late", async () => {
    // A 20 s lease (2 s periods, a 1 s margin). For 15 s after the holder is cut off the stand-by's asks are refused
    // promptly, each saying when the dead holder's lease ends (at most 20 s after the cut); from then on Restate
    // answers it 15 s late. Its ask unanswered then was made before that end and will be refused: waiting for that
    // answer before asking again, it would take over only two late answers after the cut (at least 45 s).
    const leaseMs = 20_000;
    const promptMs = 15_000;
    const answerMs = 15_000;
    let cut = false;
    let slowAnswers = false;
    const holderLine = await startSlowIngress(
      restate.server.ingressUrl,
      () => ({ refuse: cut }),
    );
    closers.push(() => holderLine.close());
    const standByLine = await startSlowIngress(
      restate.server.ingressUrl,
      ({ path }) =>
        slowAnswers && path.includes("/restate/invocation/")
          ? { delayMs: answerMs }
          : {},
    );
    closers.push(() => standByLine.close());
    const holder = poller("dying", holderLine.url, leaseMs);
    await eventually("the holder to poll", () => holder.polling, 15_000);
    const standBy = poller("waiting", standByLine.url, leaseMs);
    await eventually(
      "the stand-by to see who polls",
      () => said("waiting", "is polled by dying") || undefined,
      15_000,
    );
    let both = 0;
    const watch = setInterval(() => {
      if (holder.polling && standBy.polling) both++;
    }, 10);
    try {
      cut = true;
      const cutAt = performance.now();
      await throughout(promptMs, () => {
        expect(standBy.polling).toBe(false);
      });
      slowAnswers = true;
      await eventually(
        "the stand-by to take over",
        () => standBy.polling,
        60_000,
      );
      // The lease from the holder's last ask (at most the cut), the margin, a period's tick, and one ask answered
      // late, with 3 s for a loaded box: 41 s.
      expect(performance.now() - cutAt).toBeLessThan(
        leaseMs + 1_000 + leaseMs / 10 + answerMs + 3_000,
      );
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
  }, 120_000);

  it("never lets two live pollers under one worker id poll at once (each holds the lease under a nonce of its own)", async () => {
    // A force-deleted pod whose old copy still runs, or replicas with a fixed hostname: two processes, one worker id.
    const since = lines.length;
    const a = fleet.start("twin-a", restate.server.ingressUrl, {
      workerId: "twin:9080",
    });
    const b = fleet.start("twin-b", restate.server.ingressUrl, {
      workerId: "twin:9080",
    });
    let both = 0;
    const watch = setInterval(() => {
      if (a.polling && b.polling) both++;
    }, 10);
    try {
      await eventually(
        "one of them to poll",
        () => a.polling || b.polling,
        15_000,
      );
      // Two leases' time of 1 s long polls: two pollers would have had Telegram (the emulator) answer 409 many times.
      await throughout(6_000, () => {
        expect(a.polling && b.polling).toBe(false);
      });
      // The other stood by for it, named by its worker id and its nonce.
      await eventually(
        "the other to stand by for it",
        () =>
          said(
            "twin-a",
            "is polled by twin:9080; this worker stands by (lease holder twin:9080/",
            since,
          ) ||
          said(
            "twin-b",
            "is polled by twin:9080; this worker stands by (lease holder twin:9080/",
            since,
          ) ||
          undefined,
        15_000,
      );
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
    const theirs = lines
      .slice(since)
      .filter((l) => l.startsWith("twin-a: ") || l.startsWith("twin-b: "));
    expect(theirs.filter((l) => /409|another program polls/.test(l))).toEqual(
      [],
    );
  }, 60_000);

  /**
   * A holder whose clock is 1.2 s behind (a 3 s lease, 0.3 s margin), reaching Restate through a proxy that can hold
   * the answers of its asks (`slowAnswers`) and cut it off (`cut`): its asks are judged 1.2 s in the past, so the lease
   * object lets the lease go 1.8 s after its last ask, while it would count it for 2.7 s.
   */
  async function lateHolder(name: string) {
    const line = { cut: false, slowAnswers: false };
    const proxy = await startSlowIngress(
      restate.server.ingressUrl,
      ({ path }) =>
        line.cut
          ? { refuse: true }
          : line.slowAnswers && path.includes("/restate/invocation/")
            ? { delayMs: 1_900 }
            : {},
    );
    closers.push(() => proxy.close());
    const since = lines.length;
    const holder = fleet.start(name, proxy.url, {
      leaseMs: 3_000,
      wallClock: () => Date.now() - 1_200,
    });
    await eventually("the holder to poll", () => holder.polling, 15_000);
    await eventually(
      "the holder to say its clock is behind",
      () => said(name, "ms behind the worker that judged", since) || undefined,
      15_000,
    );
    const standBy = poller(
      `${name}-stand-by`,
      restate.server.ingressUrl,
      3_000,
    );
    await eventually(
      "the stand-by to see who polls",
      () =>
        said(`${name}-stand-by`, `is polled by ${name}`, since) || undefined,
      15_000,
    );
    return { holder, standBy, line, since };
  }

  /** Cuts the holder off and counts the 10 ms ticks in which both polled until the stand-by took over and the holder stopped. */
  async function cutAndCountOverlap(p: Awaited<ReturnType<typeof lateHolder>>) {
    let both = 0;
    const watch = setInterval(() => {
      if (p.holder.polling && p.standBy.polling) both++;
    }, 10);
    try {
      p.line.cut = true;
      await eventually(
        "the stand-by to take over",
        () => p.standBy.polling,
        30_000,
      );
      await eventually("the holder to stop", () => !p.holder.polling, 10_000);
    } finally {
      clearInterval(watch);
    }
    return both;
  }

  it("never lets a holder whose clock is behind poll after the lease object let a stand-by take over, and it says why", async () => {
    const late = await lateHolder("late-clock");
    expect(await cutAndCountOverlap(late)).toBe(0);
  }, 90_000);

  it("keeps counting a late clock's lease shorter while answers come slowly (a slow answer measures no clock)", async () => {
    const late = await lateHolder("late-slow");
    // Answers 1.9 s late would read the clock as on time: taken at face value, the holder would count its whole lease.
    late.line.slowAnswers = true;
    // Two answers at least come back slowly meanwhile.
    await throughout(4_000, () => {
      expect(said("late-slow", "agrees again", late.since)).toBe(false);
      expect(late.holder.polling).toBe(true);
    });
    expect(await cutAndCountOverlap(late)).toBe(0);
  }, 90_000);

  it("still polls when the worker judging the asks has its clock far ahead of every poller (a gap it cannot place)", async () => {
    // Both pollers' clocks read 5 s behind the judging worker's, which is as if that worker's ran 5 s ahead: the
    // object's rule (an ask is judged no later than it runs) makes that harmless, so one of them must poll.
    const since = lines.length;
    const a = fleet.start("behind-a", restate.server.ingressUrl, {
      leaseMs: 3_000,
      wallClock: () => Date.now() - 5_000,
    });
    const b = fleet.start("behind-b", restate.server.ingressUrl, {
      leaseMs: 3_000,
      wallClock: () => Date.now() - 5_000,
    });
    await eventually(
      "one of them to poll",
      () => a.polling || b.polling,
      15_000,
    );
    expect(
      said("behind-a", "differ by", since) ||
        said("behind-b", "differ by", since),
    ).toBe(true);
    await throughout(3_000, () => {
      expect(a.polling && b.polling).toBe(false);
    });
  }, 60_000);

  it("refuses a stand-by whose ask runs after a renewal that ran longer than the lease (judged at the ask, not the run)", async () => {
    const holder = poller("long-run", restate.server.ingressUrl, 3_000);
    await eventually("the holder to poll", () => holder.polling, 15_000);
    // Every run of the lease object takes 4 s, longer than the 3 s lease: the stand-by's ask waits between two of the
    // holder's renewals and runs more than a lease after the earlier one. Judged when it ran it would be granted while
    // the holder, whose later asks Restate took in time, still polls.
    leaseDelayMs = 4_000;
    const standBy = poller("behind", restate.server.ingressUrl, 3_000);
    let both = 0;
    const watch = setInterval(() => {
      if (holder.polling && standBy.polling) both++;
    }, 20);
    try {
      await eventually(
        "the stand-by's ask to be answered",
        () => said("behind", "is polled by long-run") || undefined,
        30_000,
      );
      await throughout(6_000, () => {
        expect(standBy.polling).toBe(false);
        expect(holder.polling).toBe(true);
      });
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
    expect(said("long-run", "Telegram refused getUpdates")).toBe(false);
  }, 90_000);
  it("refuses a released holder's asks made before its release, however late Restate runs them, and lets another take the lease at once", async () => {
    const lease = (handler: string, body: Record<string, unknown>) =>
      restate.ingress.call<{ held?: boolean; holder?: string }>(
        { service: POLL_LEASE_NAME, handler, key: String(bot.id) },
        body as never,
      );
    const t = Date.now();
    const ask = (holder: string, askedAt: number) =>
      lease("ask", { holder, ttl_ms: 15_000, asked_at: askedAt });
    expect(await ask("leaving", t)).toMatchObject({
      held: true,
      holder: "leaving",
    });
    await lease("release", { holder: "leaving", released_at: t + 10 });
    // An ask the stopping worker made before it let go (its send cut off by the stop), taken and run after the release.
    expect(await ask("leaving", t + 5)).toMatchObject({ held: false });
    // A worker restarted under the same name asks after the release: it may poll again.
    expect(await ask("leaving", t + 20)).toMatchObject({ held: true });
    await lease("release", { holder: "leaving", released_at: t + 30 });
    expect(await ask("next", t + 40)).toMatchObject({
      held: true,
      holder: "next",
    });
    await lease("release", { holder: "next", released_at: t + 50 });
  });

  it("tells an older poller (its bare worker id) apart from a new one under the same id, which waits out the older's lease", async () => {
    // A rolling upgrade that restarts a worker in place: the older process asked as `host:port`, the new one asks as
    // `host:port/<nonce>`. Judged in the past (a minute ago), so that the lease lapses without waiting for it.
    const lease = (body: Record<string, unknown>) =>
      restate.ingress.call<{ held?: boolean; holder?: string }>(
        { service: POLL_LEASE_NAME, handler: "ask", key: String(bot.id) },
        body as never,
      );
    const t = Date.now() - 60_000;
    const older = "rolling:9080";
    const newer = leaseHolder(older);
    expect(newer.startsWith(`${older}/`)).toBe(true);
    expect(
      await lease({ holder: older, ttl_ms: 15_000, asked_at: t }),
    ).toMatchObject({ held: true, holder: older });
    expect(
      await lease({ holder: newer, ttl_ms: 15_000, asked_at: t + 10 }),
    ).toMatchObject({ held: false, holder: older });
    expect(
      await lease({ holder: newer, ttl_ms: 15_000, asked_at: t + 15_000 }),
    ).toMatchObject({ held: true, holder: newer });
    // The older process's renewal, made once its lease had lapsed, is not taken for the new one's.
    expect(
      await lease({ holder: older, ttl_ms: 15_000, asked_at: t + 15_010 }),
    ).toMatchObject({ held: false, holder: newer });
    await restate.ingress.send(
      { service: POLL_LEASE_NAME, handler: "release", key: String(bot.id) },
      { holder: newer, released_at: Date.now() },
    );
  });

  it("answers with the judging worker's time, and says so when an ask is stamped ahead of it (judged no later than it runs)", async () => {
    const warn = vi.spyOn(console, "warn");
    try {
      const ask = (holder: string, askedAt: number) =>
        restate.ingress.call<{ held?: boolean; now?: number }>(
          { service: POLL_LEASE_NAME, handler: "ask", key: String(bot.id) },
          { holder, ttl_ms: 3_000, asked_at: askedAt },
        );
      const before = Date.now();
      const answer = await ask("ahead", Date.now() + 60_000);
      expect(answer.held).toBe(true);
      expect(answer.now).toBeGreaterThanOrEqual(before);
      expect(answer.now).toBeLessThanOrEqual(Date.now());
      const said = warn.mock.calls.map((args) => args.join(" "));
      expect(
        said.some((line) =>
          /ahead stamped its ask \d+ ms ahead of this worker's clock/.test(
            line,
          ),
        ),
      ).toBe(true);
      // Judged when it ran, not a minute on: another worker takes the lease a lease later, not a minute later.
      expect(await ask("after", Date.now())).toMatchObject({ held: false });
      await eventually(
        "another worker to take the lease a lease after the ask ran",
        async () => ((await ask("after", Date.now())).held ? true : undefined),
        15_000,
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("stops without waiting for its asks that Restate still holds (its release goes one way)", async () => {
    const p = poller("stopping", restate.server.ingressUrl, 6_000);
    await eventually("the poller to hold the lease", () => p.polling, 15_000);
    leaseDelayMs = 8_000;
    await eventually(
      "asks to queue behind the slow lease object",
      async () => ((await unanswered()) >= 2 ? true : undefined),
      20_000,
    );
    const started = performance.now();
    await fleet.stop(p);
    // A release queued behind them as a call would wait 8 s for each; the poll round it ends lasts at most 1 s.
    expect(performance.now() - started).toBeLessThan(5_000);
  }, 60_000);
});
