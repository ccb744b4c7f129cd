import type { Json } from "../json.js";
import type {
  HITLAnswer,
  HITLAnswerResult,
  HITLEntry,
  HITLRefusal,
  HITLRequest,
  HITLUser,
} from "./hitl-types.js";
import { checkParamValue } from "./param-schema.js";

type Problem = Exclude<HITLRefusal["detail"], string>[number];

const refuse = (
  status: HITLRefusal["status"],
  detail: HITLRefusal["detail"],
): HITLRefusal => ({ ok: false, status, detail });

/**
 * Checks an answer against the request it answers, as Airflow's API and `HITLOperator` do together: answered already
 * or no longer waiting (409), a user not assigned (403), an option not offered, several without `multiple`, a form
 * field unknown, missing or failing its schema (422, naming each). On success, the answer as the task will see it:
 * form fields left out take their pre-filled values. Pure, so the `airflow_hitl` object and tests share it.
 *
 * @example
 * const result = checkAnswer(entry, { task_id: "sign_off", chosen_options: ["Approve"], user, channel: "api" }, now);
 */
export function checkAnswer(
  entry: HITLEntry,
  answer: HITLAnswer,
  now: string,
): HITLAnswerResult {
  const { request } = entry;
  if (entry.response)
    return refuse(
      409,
      `Human-in-the-loop detail has already been updated for Task Instance ${request.task_id} and is not allowed to write again.`,
    );
  if (
    answer.trigger_id !== undefined &&
    answer.trigger_id !== request.trigger_id
  )
    return refuse(
      409,
      `The answer is for an earlier request of Task Instance ${request.task_id}, which has been asked again since.`,
    );
  if (entry.closed || (request.deadline !== null && now > request.deadline))
    return refuse(
      409,
      `Task Instance ${request.task_id} no longer waits for an answer: ${entry.closed === "cancelled" ? "its run was cancelled" : entry.closed === "failed" ? "it failed" : "its response timeout passed"}.`,
    );
  if (!isAssigned(request, answer.user))
    return refuse(
      403,
      `User=${answer.user.name} (id=${answer.user.id}) is not a respondent for the task.`,
    );
  const problems = [
    ...checkChosen(request, answer.chosen_options),
    ...checkParams(request, answer.params_input ?? {}),
  ];
  if (problems.length > 0) return refuse(422, problems);
  const params_input: Record<string, Json> = {};
  for (const [name, param] of Object.entries(request.params))
    params_input[name] = answer.params_input?.[name] ?? param.value;
  return {
    ok: true,
    response: {
      chosen_options: [...answer.chosen_options],
      params_input,
      responded_at: now,
      responded_by_user: { id: answer.user.id, name: answer.user.name },
      timedout: false,
      channel: answer.channel,
    },
  };
}

/** Anyone may answer a request without assigned users; otherwise only they (matched by id and name, as Airflow does). */
export function isAssigned(request: HITLRequest, user: HITLUser): boolean {
  return (
    request.assigned_users.length === 0 ||
    request.assigned_users.some((u) => u.id === user.id && u.name === user.name)
  );
}

function checkChosen(
  request: HITLRequest,
  chosen: readonly string[],
): Problem[] {
  if (chosen.length === 0)
    return [
      {
        loc: ["body", "chosen_options"],
        msg: "List should have at least 1 item after validation, not 0",
        type: "too_short",
        input: [],
      },
    ];
  const problems: Problem[] = [];
  chosen.forEach((option, i) => {
    if (!request.options.includes(option))
      problems.push({
        loc: ["body", "chosen_options", i],
        msg: `Value error, ${JSON.stringify(option)} is not one of the options ${JSON.stringify(request.options)}`,
        type: "value_error",
        input: option,
      });
    else if (chosen.indexOf(option) !== i)
      problems.push({
        loc: ["body", "chosen_options", i],
        msg: `Value error, ${JSON.stringify(option)} is chosen twice`,
        type: "value_error",
        input: option,
      });
  });
  if (!request.multiple && chosen.length > 1)
    problems.push({
      loc: ["body", "chosen_options"],
      msg: `Value error, ${chosen.length} options chosen, but the request takes one (it is not "multiple")`,
      type: "value_error",
      input: [...chosen],
    });
  return problems;
}

function checkParams(
  request: HITLRequest,
  given: Readonly<Record<string, Json>>,
): Problem[] {
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(given)) {
    const param = request.params[name];
    if (!param) {
      const known = Object.keys(request.params);
      problems.push({
        loc: ["body", "params_input", name],
        msg: `Value error, the request has no param ${JSON.stringify(name)}${known.length > 0 ? `; its params are ${JSON.stringify(known)}` : ""}`,
        type: "value_error",
        input: value,
      });
      continue;
    }
    const why = checkParamValue(param.schema ?? {}, value);
    if (why)
      problems.push({
        loc: ["body", "params_input", name],
        msg: `Value error, param ${JSON.stringify(name)} ${why}`,
        type: "value_error",
        input: value,
      });
  }
  return problems;
}

/** The answer the defaults make when the response timeout passes (Airflow's rule), or null when there are none. */
export function defaultAnswer(
  request: HITLRequest,
  now: string,
): HITLAnswerResult | null {
  if (!request.defaults || request.defaults.length === 0) return null;
  const params_input: Record<string, Json> = {};
  for (const [name, param] of Object.entries(request.params))
    params_input[name] = param.value;
  return {
    ok: true,
    response: {
      chosen_options: [...request.defaults],
      params_input,
      responded_at: now,
      responded_by_user: null,
      timedout: true,
      channel: "timeout",
    },
  };
}
