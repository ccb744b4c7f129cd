import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  handlerTarget,
  type DeferContext,
  type TaskContext,
} from "@poekhali/core";
import type { Fields } from "../hooks/airtable-types.js";
import {
  WRITER_NAME,
  type WriteMode,
  type WriteRequest,
} from "../writers/writer-protocol.js";
import type { AirtableWriter } from "../writers/airtable-writer.js";

// A typed stand-in for the writer's definition: its handler names are checked against the writer's.
const Writer: AirtableWriter = { name: WRITER_NAME };

/** Where a task writes: the base from its connection, the table given or the connection's. */
export function writeTarget(
  context: TaskContext,
  connId: string,
  table: string | null | undefined,
): { baseId: string; table: string } {
  const connection = context.connections.get(connId);
  const baseId = connection.extra.base_id;
  const name = table ?? connection.extra.table;
  // Thrown while the run registers its write: terminal, since no retry will make the connection complete.
  if (!baseId)
    throw new restate.TerminalError(
      `task "${context.taskId}": connection "${connId}" has no base id (extra.base_id)`,
    );
  if (!name)
    throw new restate.TerminalError(
      `task "${context.taskId}": no table given and connection "${connId}" names none`,
    );
  return { baseId, table: name };
}

/** Hands a run's rows to its base's writer; the run parks on `context.triggerId` until they are written. */
export function enqueueWrite(
  context: DeferContext,
  connId: string,
  table: string | null | undefined,
  records: Fields[],
  mode: WriteMode,
): void {
  const target = writeTarget(context, connId, table);
  const request: WriteRequest = {
    kind: "write",
    trigger_id: context.triggerId,
    table: target.table,
    records,
    mode,
  };
  context.send(handlerTarget(Writer, "enqueue", target.baseId), { ...request });
}
