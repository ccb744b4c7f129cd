import type { HITLChannel } from "../../hitl/hitl-channel.js";
import { isHITLTask, makeHITLTask, type HITLTask } from "./spec.js";

// On a global symbol, as the task's own mark: a DAG file may reach the SDK's module under its own name.
const CHANNELS = Symbol.for("poekhali.airflow.hitl-channels");

/**
 * A copy of a `hitl(...)`/`approval(...)` task that also puts its request to these channels (a Telegram chat), as
 * the `channels` option of poekhali's HITL operators does; the REST API can still answer, and the first answer wins.
 * Providers wrap it (`inTelegram(approval({...}))` of `@poekhali/telegram`).
 *
 * @example
 * dag.task("sign_off", withHITLChannels(approval({ subject: "Ship it?" }), [telegramChannel({ quorum: 2 })]))();
 */
export function withHITLChannels<T extends HITLTask<never>>(
  task: T,
  channels: readonly HITLChannel[],
): T {
  if (!isHITLTask(task))
    throw new TypeError(
      "withHITLChannels(...) takes a task made by hitl(...) or approval(...)",
    );
  const { kind, subject, body, options, defaults, multiple } = task;
  const { assignedUsers, params, responseTimeout, failOnReject } = task;
  return makeHITLTask(
    {
      kind,
      subject,
      body,
      options,
      defaults,
      multiple,
      assignedUsers,
      params,
      responseTimeout,
      failOnReject,
    },
    {
      [CHANNELS]: {
        value: Object.freeze([...hitlChannelsOf(task), ...channels]),
      },
    },
  ) as T;
}

/** The channels a `hitl(...)`/`approval(...)` task puts its request to besides the REST API; none by default. */
export function hitlChannelsOf(task: HITLTask<never>): readonly HITLChannel[] {
  return (
    (task as unknown as { [CHANNELS]?: readonly HITLChannel[] })[CHANNELS] ?? []
  );
}
