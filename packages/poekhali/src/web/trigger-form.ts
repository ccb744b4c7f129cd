import { z } from "zod";
import type { Dag } from "@poekhali/core";
import { esc, scriptJson } from "./layout.js";

/** A param as `z.toJSONSchema` describes it (the parts the form reads). */
interface ParamSchema {
  type?: string | string[];
  items?: { type?: string };
  enum?: unknown[];
  default?: unknown;
  description?: string;
  "x-duration"?: { min: string; max: string };
  /** A nullable param (`z.string().nullable()`): its alternatives, one of them `{ type: "null" }`. */
  anyOf?: ParamSchema[];
}

/**
 * A nullable param read as its non-null alternative, with its own default and description: the form edits the value,
 * and a field left empty is not sent, so the param keeps its null default.
 */
function unwrapNullable(p: ParamSchema): ParamSchema & { nullable?: true } {
  const others = p.anyOf?.filter((a) => a.type !== "null") ?? [];
  if (!p.anyOf || others.length !== 1 || others.length === p.anyOf.length)
    return p;
  const outer = { ...p };
  delete outer.anyOf;
  return { ...others[0], ...outer, nullable: true };
}

/** How the form edits one param; the script reads `data-kind` to build the conf. */
type Kind = "text" | "number" | "boolean" | "list" | "enum" | "json";

function kindOf(p: ParamSchema): Kind {
  if (p.enum) return "enum";
  if (p.type === "boolean") return "boolean";
  if (p.type === "number" || p.type === "integer") return "number";
  if (p.type === "string") return "text";
  if (
    p.type === "array" &&
    ["string", "number", "integer"].includes(p.items?.type ?? "")
  )
    return "list";
  return "json";
}

/** The DAG's params as JSON Schema properties, in the order the DAG declares them. */
export function paramsOf(dag: Dag): [string, ParamSchema][] {
  const schema = z.toJSONSchema(dag.paramsSchema, {
    io: "input",
    unrepresentable: "any",
  }) as { properties?: Record<string, ParamSchema> };
  return Object.entries(schema.properties ?? {});
}

const fieldId = (name: string) => `param-${name}`;

function listItem(name: string, value: string, kind: string): string {
  return `<li><input type="${kind === "string" ? "text" : "number"}" value="${esc(value)}" aria-label="${esc(name)} item">
<button type="button" class="secondary" data-remove-item>Remove</button></li>`;
}

function field(name: string, given: ParamSchema): string {
  const p = unwrapNullable(given);
  const id = fieldId(name);
  const kind = kindOf(p);
  const hasDefault = "default" in p && !(p.nullable && p.default === null);
  const about = [
    p.description ? esc(p.description) : "",
    p["x-duration"]
      ? `A duration such as <code>90s</code>, <code>15m</code>, <code>6h</code> or <code>2d</code>, from ${esc(p["x-duration"].min)} to ${esc(p["x-duration"].max)}.`
      : "",
    hasDefault
      ? `Default: <code>${esc(JSON.stringify(p.default))}</code>`
      : "Optional: left empty, it is not sent.",
  ]
    .filter(Boolean)
    .join(" ");
  const hint = `<div class="muted small" id="${id}-hint">${about}</div>`;
  const error = `<div class="error field-error" id="${id}-error" role="alert"></div>`;
  const described = `aria-describedby="${id}-hint ${id}-error"`;
  const attrs = `data-param="${esc(name)}" data-kind="${kind}"${hasDefault ? "" : " data-optional"}`;
  switch (kind) {
    case "boolean":
      return `<div class="field" ${attrs}><label class="check"><input type="checkbox" id="${id}" ${described}${p.default === true ? " checked" : ""}> ${esc(name)}</label>${hint}${error}</div>`;
    case "enum":
      return `<div class="field" ${attrs}><label for="${id}">${esc(name)}</label><select id="${id}" ${described}>
${hasDefault ? "" : `<option value="">(not set)</option>`}${(p.enum ?? []).map((v) => `<option value="${esc(JSON.stringify(v))}"${JSON.stringify(v) === JSON.stringify(p.default) ? " selected" : ""}>${esc(String(v))}</option>`).join("")}</select>${hint}${error}</div>`;
    case "list": {
      const items = Array.isArray(p.default) ? p.default : [];
      const itemType = p.items?.type ?? "string";
      return `<fieldset class="field" ${attrs} data-item-type="${esc(itemType)}" id="${id}" ${described}><legend>${esc(name)}</legend>
<ul class="list-editor">${items.map((v) => listItem(name, String(v), itemType)).join("")}</ul>
<button type="button" class="secondary" data-add-item>Add to ${esc(name)}</button>
<template>${listItem(name, "", itemType)}</template>${hint}${error}</fieldset>`;
    }
    case "json":
      return `<div class="field" ${attrs}><label for="${id}">${esc(name)} <span class="muted small">(JSON)</span></label>
<textarea id="${id}" rows="2" spellcheck="false" ${described}>${hasDefault ? esc(JSON.stringify(p.default)) : ""}</textarea>${hint}${error}</div>`;
    default: {
      // A text or number param's default is a string or a number.
      const value =
        typeof p.default === "string" || typeof p.default === "number"
          ? String(p.default)
          : "";
      const type = kind === "number" ? "number" : "text";
      const placeholder = p["x-duration"] ? ` placeholder="6h"` : "";
      return `<div class="field" ${attrs}><label for="${id}">${esc(name)}</label><input id="${id}" type="${type}"${type === "number" ? ' step="any"' : ""} value="${esc(value)}"${placeholder} ${described}>${hint}${error}</div>`;
    }
  }
}

/** The dialog that asks before a run that talks to a live service starts; the trigger script fills and opens it. */
export const CONFIRM_DIALOG = `<dialog id="confirm-trigger" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title">Trigger this run?</h2><p id="confirm-text"></p>
<p><button type="button" class="secondary" data-confirm-answer="no">Cancel</button> <button type="button" data-confirm-answer="yes">Trigger</button></p></dialog>`;

/**
 * The trigger form of a DAG, generated from its params: one labelled field per param (checkboxes, list editors,
 * durations with their format), a JSON view as the alternative, errors next to the field they name, and a confirm
 * step when `confirm` says what live service the run talks to.
 */
export function triggerForm(dag: Dag, confirm: string | null): string {
  const params = paramsOf(dag);
  const fields = params.map(([name, p]) => field(name, p)).join("");
  const defaults = Object.fromEntries(
    params.filter(([, p]) => "default" in p).map(([n, p]) => [n, p.default]),
  );
  return `<form class="card trigger-form" id="trigger-form" data-dag-id="${esc(dag.id)}" novalidate${confirm ? ` data-confirm="${esc(confirm)}"` : ""}>
<h2 id="trigger-heading">Trigger a run</h2>
<div class="view-switch" role="group" aria-label="Edit the conf as">
<button type="button" class="secondary" data-view="form" aria-pressed="true">Form</button><button type="button" class="secondary" data-view="json" aria-pressed="false">JSON</button></div>
<div data-form-view>${fields || `<p class="muted">This DAG takes no params.</p>`}</div>
<div data-json-view hidden><label for="conf-json">Conf as JSON</label>
<textarea id="conf-json" rows="8" spellcheck="false" aria-describedby="conf-json-error">${esc(JSON.stringify(defaults, null, 2))}</textarea>
<div class="error" role="alert" id="conf-json-error"></div></div>
<div class="error" role="alert" id="error-${esc(dag.id)}"></div>
<p><button type="submit">Trigger</button></p>
</form>${CONFIRM_DIALOG}<script>const TRIGGER_DEFAULTS = ${scriptJson(defaults)};</script>`;
}
