import {
  AIRFLOW_HITL,
  hitlObjectKey,
  type HITLDecision,
  type HITLOpen,
  type HITLUser,
  type Json,
} from "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import type { PressEvent } from "../updates/press.js";
import { pressAllowed, pressReplies } from "../updates/press-replies.js";
import {
  hitlKey,
  parseHitlCallbackData,
  TELEGRAM_HITL_NAME,
} from "./hitl-callback.js";
import { recordPress, type PressOutcome } from "./hitl-event-log.js";
import {
  endForm,
  formPendingFor,
  startFormFlow,
  takeFormReply,
  type FormState,
} from "./hitl-form.js";
import {
  escalate,
  remind,
  scheduleTimers,
  type HitlTimer,
} from "./hitl-timers.js";
import type { WatchedMessage } from "../updates/message-watch.js";
import { postRequest } from "./hitl-post.js";
import { requestKeyboard, requestText } from "./hitl-message.js";
import type { KeptDecision, PostedRequest, Show } from "./hitl-state.js";
import {
  decisionLine,
  HITL_TEXTS,
  languageOf,
  type HitlLanguage,
} from "./hitl-texts.js";
import {
  sameChoice,
  toggle,
  winner,
  type Voter,
  type Votes,
} from "./hitl-votes.js";

/** What a deciding press is told, and what it became in the event log. */
interface Concluded {
  readonly told: string;
  readonly outcome: PressOutcome;
}

/** Options of {@link telegramHitl}. */
export interface TelegramHitlOptions {
  /** The hook of a bot, by its id (keys name bots by id, never by token). */
  hookFor(botId: number): TelegramHook;
  readonly log?: (message: string) => void;
}

/**
 * The tally is edited at most once per this long, coalescing the votes in between (Telegram's limits): about 20
 * messages a minute in a group (a chat id starting with "-"), about one a second in a private chat.
 */
export function refreshMs(chatId: string): number {
  return chatId.startsWith("-") ? 3_000 : 1_000;
}
/** Update ids remembered to drop a re-delivered press: enough for any burst Telegram may send again. */
const MAX_SEEN = 200;

/** The key the message's edits queue on: apart from the presses, so that a slow edit never delays a press's answer. */
const VIEW = ":view";
const viewKey = (key: string) => `${key}${VIEW}`;

/**
 * Puts a HITL request to a Telegram chat and counts its presses, one virtual-object key per request message
 * (`<bot id>:<chat id>:<button ref>`): one button per option, each person's latest choice counted once, a live tally,
 * quorum and veto; the winning choice answers the run's `airflow_hitl` object, and whatever decides (this chat, the
 * web, the timeout) turns the message into the decision.
 *
 * @example
 * createEndpointHandler({ services: [telegramHitl({ hookFor: () => hook }), airflowHitl, ...workflows] });
 */
export function telegramHitl(options: TelegramHitlOptions) {
  const log = options.log ?? (() => undefined);
  const hookFor = (botId: number) => options.hookFor(botId);
  const { answer, edit, tidy, admitted } = pressReplies({
    hookFor: (botId) => options.hookFor(botId),
    log,
  });

  /** Queues an edit of the message on its view key, numbered so that an older edit never replaces a newer one. */
  async function show(
    ctx: restate.ObjectContext,
    request: PostedRequest,
    text: string,
    keyboard: Show["keyboard"],
    final: boolean,
  ): Promise<void> {
    const seq = ((await ctx.get<number>("seq")) ?? 0) + 1;
    ctx.set("seq", seq);
    ctx.objectSendClient(TELEGRAM_HITL, viewKey(ctx.key)).show({
      bot_id: request.bot_id,
      chat_id: request.chat_id,
      message_id: request.message_id,
      seq,
      text,
      keyboard,
      final,
    });
  }

  /** Records what became of the request, once, and turns the message into it (keyboard removed). */
  async function settle(
    ctx: restate.ObjectContext,
    decision: KeptDecision,
  ): Promise<void> {
    if (await ctx.get<KeptDecision>("decision")) return;
    ctx.set<KeptDecision>("decision", {
      response: decision.response,
      ...(decision.closed ? { closed: decision.closed } : {}),
    });
    const request = await ctx.get<PostedRequest>("request");
    if (!request) return;
    const votes = (await ctx.get<Votes>("votes")) ?? {};
    const line = decisionLine(request.view.language, decision);
    await show(
      ctx,
      request,
      requestText(request.view, votes, line),
      null,
      true,
    );
  }

  /**
   * Sends the winning choice to the run's `airflow_hitl` object as the Telegram user's answer, and says what the
   * decider is told (taken, or, when the web or the timeout answered first, what was decided instead) and what the
   * deciding press became: counted, `after_decision` (decided elsewhere first) or `refused` (403/422, or stale).
   */
  async function conclude(
    ctx: restate.ObjectContext,
    request: PostedRequest,
    chosen: readonly string[],
    user: HITLUser,
    paramsInput: Record<string, Json>,
    language: HitlLanguage,
  ): Promise<Concluded> {
    const t = HITL_TEXTS[language];
    const hitl = ctx.objectClient(
      AIRFLOW_HITL,
      hitlObjectKey(request.dag_id, request.run_id),
    );
    const result = await hitl.answer({
      task_id: request.task_id,
      chosen_options: [...chosen],
      params_input: paramsInput,
      user,
      channel: "telegram",
      trigger_id: request.trigger_id,
    });
    if (result.ok) {
      await settle(ctx, { response: result.response });
      return { told: t.taken(chosen), outcome: "counted" };
    }
    if (result.status === 409) {
      // Answered first elsewhere (the web, the timeout) or closed: tell the decision, which is on its way here too.
      const entry = await hitl.entry({ task_id: request.task_id });
      if (
        entry?.request.trigger_id === request.trigger_id &&
        (entry.response || entry.closed)
      ) {
        const decision: KeptDecision = {
          response: entry.response,
          ...(entry.closed ? { closed: entry.closed } : {}),
        };
        await settle(ctx, decision);
        return {
          told: decisionLine(language, decision),
          outcome: "after_decision",
        };
      }
      return { told: t.stale, outcome: "refused" };
    }
    const detail =
      typeof result.detail === "string"
        ? result.detail
        : result.detail.map((d) => d.msg).join("; ");
    log(
      `airflow_hitl refused ${ctx.key}'s answer (${result.status}): ${detail}`,
    );
    return { told: `${t.refused}: ${detail}`, outcome: "refused" };
  }

  /**
   * A counted vote won: the form flow runs first when the request has fields (the press stays counted), else the
   * answer goes at once and the press becomes what the answer made of it.
   */
  async function decide(
    ctx: restate.ObjectContext,
    request: PostedRequest,
    event: PressEvent,
    chosen: string[],
  ): Promise<Concluded> {
    const language = languageOf(event.from.language_code);
    const user: HITLUser = {
      id: String(event.from.id),
      name: event.from.username ?? event.from.first_name,
    };
    let outcome: PressOutcome = "counted";
    const finish = async (paramsInput: Record<string, Json>) => {
      const concluded = await conclude(
        ctx,
        request,
        chosen,
        user,
        paramsInput,
        language,
      );
      outcome = concluded.outcome;
      return concluded.told;
    };
    if (Object.keys(request.params).length === 0)
      return conclude(ctx, request, chosen, user, {}, language);
    const told = await startFormFlow(
      ctx,
      hookFor,
      { request, press: event, chosen, user, language },
      finish,
    );
    return { told, outcome };
  }

  /** Counts an allowed press on the live message; answers it and logs it. */
  async function vote(
    ctx: restate.ObjectContext,
    request: PostedRequest,
    event: PressEvent,
    button: number | "s",
  ): Promise<void> {
    const t = HITL_TEXTS[languageOf(event.from.language_code)];
    const { options, multiple } = request.view;
    const option = button === "s" ? undefined : options[button];
    const label = button === "s" ? "submit" : (option ?? String(button));
    const refuse = async (text: string, outcome: PressOutcome) => {
      await answer(ctx, event, text);
      recordPress(ctx, request, event, outcome, label);
    };
    // A button the request does not have (a submit without `multiple`, an index past the options): a forged press.
    if (button === "s" ? !multiple : option === undefined)
      return refuse(t.stale, "refused");
    // A choice already won and its decider is filling in the form: the votes stand as they won.
    const pending = await formPendingFor(
      ctx,
      languageOf(event.from.language_code),
    );
    if (pending !== null) return refuse(pending, "after_decision");
    const votes = (await ctx.get<Votes>("votes")) ?? {};
    const id = String(event.from.id);
    const name = event.from.username ?? event.from.first_name;
    const before: Voter = votes[id] ?? {
      user_id: event.from.id,
      name,
      choice: null,
      draft: [],
    };
    let voter: Voter;
    let toast: string;
    if (option !== undefined && multiple) {
      voter = { ...before, name, draft: toggle(options, before.draft, option) };
      toast = t.toggled(voter.draft);
    } else {
      const chosen = option === undefined ? before.draft : [option];
      if (chosen.length === 0) return refuse(t.submitEmpty, "refused");
      if (sameChoice(before.choice, chosen))
        return refuse(t.repeated(chosen), "duplicate");
      voter = { ...before, name, choice: [...chosen] };
      toast = t.counted(chosen);
    }
    ctx.set<Votes>("votes", { ...votes, [id]: voter });
    const won =
      option === undefined || !multiple
        ? winner(
            options,
            { ...votes, [id]: voter },
            voter,
            request.rule,
            multiple,
          )
        : null;
    // Logged once the answer is known: a deciding press the answer refused, or that came second, is not "counted".
    const { told, outcome } = won
      ? await decide(ctx, request, event, won)
      : { told: toast, outcome: "counted" as const };
    recordPress(
      ctx,
      request,
      event,
      outcome,
      label,
      option !== undefined && multiple ? voter.draft : (voter.choice ?? []),
    );
    await answer(ctx, event, told);
    // Decided: the message becomes the decision. Otherwise (no winner yet, or the answer refused) the vote shows.
    if (await ctx.get<KeptDecision>("decision")) return;
    // The tally is drawn again once the burst settles: one edit per refreshMs at most, whatever the presses.
    if (!(await ctx.get<boolean>("refresh_pending"))) {
      ctx.set("refresh_pending", true);
      ctx
        .objectSendClient(TELEGRAM_HITL, ctx.key)
        .refresh(restate.rpc.sendOpts({ delay: refreshMs(request.chat_id) }));
    }
  }

  return restate.object({
    name: TELEGRAM_HITL_NAME,
    description:
      "Puts a HITL request to a Telegram chat and counts its presses, one key per request message",
    handlers: {
      /** One callback query on the request's buttons, handed over (and signed) by the ingester. */
      press: async (
        ctx: restate.ObjectContext,
        event: PressEvent,
      ): Promise<void> => {
        const data = parseHitlCallbackData(event.data);
        const eventKey =
          data && hitlKey(event.bot_id, event.chat_id, data.nonce);
        if (!data || !admitted(ctx.key, event, eventKey)) return;
        const language = languageOf(event.from.language_code);
        const t = HITL_TEXTS[language];
        const request = await ctx.get<PostedRequest>("request");
        if (!request) {
          // Before the request is stored there are no task ids to log it under; the entry says why it was refused.
          await answer(ctx, event, t.notReady);
          const label = data.button === "s" ? "submit" : String(data.button);
          return recordPress(
            ctx,
            null,
            event,
            "refused",
            label,
            undefined,
            "not_ready",
          );
        }
        const label =
          data.button === "s"
            ? "submit"
            : (request.view.options[data.button] ?? String(data.button));
        const seen = (await ctx.get<number[]>("seen")) ?? [];
        if (seen.includes(event.update_id)) {
          // Telegram (or a second poll) delivered the update again: it was answered and counted the first time.
          recordPress(ctx, request, event, "duplicate", label);
          return;
        }
        ctx.set("seen", [...seen, event.update_id].slice(-MAX_SEEN));
        const decision = await ctx.get<KeptDecision>("decision");
        if (decision) {
          await answer(ctx, event, decisionLine(language, decision));
          recordPress(ctx, request, event, "after_decision", label);
          if (event.message_id !== request.message_id) await tidy(ctx, event);
          return;
        }
        if (event.message_id !== request.message_id) {
          await answer(ctx, event, t.stale);
          recordPress(ctx, request, event, "refused", label);
          return tidy(ctx, event);
        }
        if (request.deadline !== null && event.received_at > request.deadline) {
          await answer(ctx, event, t.late);
          recordPress(ctx, request, event, "late", label);
          return;
        }
        if (!pressAllowed(request.allowed, event.from)) {
          await answer(ctx, event, t.notForYou);
          recordPress(ctx, request, event, "refused", label);
          return;
        }
        await vote(ctx, request, event, data.button);
      },

      /** The `airflow_hitl` object stored a request naming this chat: post it, with a button per option. */
      open: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, open: HITLOpen) => {
          await postRequest(ctx, (botId) => options.hookFor(botId), open);
          await scheduleTimers(ctx, open);
        },
      ),

      /** Draws the tally again after a burst of votes (a delayed self-send, so edits stay within Telegram's limits). */
      refresh: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext): Promise<void> => {
          ctx.clear("refresh_pending");
          const request = await ctx.get<PostedRequest>("request");
          if (!request || (await ctx.get<KeptDecision>("decision"))) return;
          const votes = (await ctx.get<Votes>("votes")) ?? {};
          await show(
            ctx,
            request,
            requestText(request.view, votes),
            requestKeyboard(
              request.view,
              request.nonce,
              votes,
              request.allowed,
            ),
            false,
          );
        },
      ),

      /** The notify target: whatever decided (this chat, the web, the timeout) or closed the request. */
      decided: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          decision: HITLDecision,
        ): Promise<void> => {
          await settle(ctx, {
            response: decision.response,
            ...(decision.closed ? { closed: decision.closed } : {}),
          });
          await endForm(ctx, hookFor, decision);
        },
      ),

      /** A reply the form waits for, delivered by `telegram_messages` (see `hitl-form.ts`). */
      reply: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext, watched: WatchedMessage) =>
          takeFormReply(
            ctx,
            hookFor,
            watched,
            async (request, form: FormState, paramsInput) =>
              (
                await conclude(
                  ctx,
                  request,
                  form.chosen,
                  form.user,
                  paramsInput,
                  form.language,
                )
              ).told,
          ),
      ),

      /** The reminder's timer fired (see `hitl-timers.ts`). */
      remind: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext, timer: HitlTimer) =>
          remind(ctx, { hookFor, log }, timer),
      ),

      /** The escalation's timer fired (see `hitl-timers.ts`). */
      escalate: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext, timer: HitlTimer) =>
          escalate(ctx, { hookFor, log }, timer),
      ),

      /** The number of the latest edit the request's key has queued (read by its view key, without its lock). */
      latest: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (ctx: restate.ObjectSharedContext): Promise<number> =>
          (await ctx.get<number>("seq")) ?? 0,
      ),

      /**
       * One edit of the message, on its view key: in order, never a tally after the decision, and only the latest
       * (a tally with a newer edit queued behind it is dropped, so a backlog after a 429 never replays stale tallies
       * and the decision's edit is the next one made).
       */
      show: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, show: Show): Promise<void> => {
          if (await ctx.get<boolean>("final")) return;
          if (!show.final && show.seq <= ((await ctx.get<number>("seq")) ?? 0))
            return;
          if (!show.final && ctx.key.endsWith(VIEW)) {
            const latest = await ctx
              .objectClient(TELEGRAM_HITL, ctx.key.slice(0, -VIEW.length))
              .latest();
            if (show.seq < latest) return;
          }
          ctx.set("seq", show.seq);
          if (show.final) ctx.set("final", true);
          await edit(
            ctx,
            show,
            show.final ? "show the decision" : "show the tally",
            {
              text: show.text,
              parseMode: "HTML",
              ...(show.keyboard ? { replyMarkup: show.keyboard } : {}),
            },
          );
        },
      ),
    },
    // Each key keeps its request, votes and a capped list of update ids: read only what a handler needs.
    options: { enableLazyState: true },
  });
}

/** The `telegram_hitl` object's Restate definition type, for typed clients. */
export type TelegramHitlObject = ReturnType<typeof telegramHitl>;
/** The object as a typed target (like the router's `ROUTER`): a renamed handler breaks the build. */
export const TELEGRAM_HITL: TelegramHitlObject = { name: TELEGRAM_HITL_NAME };
