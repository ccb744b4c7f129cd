// A worker in its own process, so a test can SIGKILL it. With CRASH_AFTER_WRITE=1 it freezes right after
// Airtable answered a write, before the answer reaches the journal, and says "WROTE" — the moment to kill it.
import {
  AirtableHook,
  type AirtableRecord,
  type Fields,
  type UpsertResult,
} from "@poekhali/airtable";
import { AIRTABLE_DAGS } from "./airtable-dags.js";
import { serveWorker, type AirtableTarget } from "./airtable-stack.js";

const target = JSON.parse(
  process.env.AIRTABLE_TARGET ?? "{}",
) as AirtableTarget;
const freeze = async (): Promise<never> => {
  process.stdout.write("WROTE\n");
  return new Promise<never>(() => undefined);
};

/** The real hook; when asked, it never returns from a write that Airtable has applied. */
class FreezingHook extends AirtableHook {
  override async upsertRecords(
    table: string,
    records: readonly Fields[],
    mergeOn: readonly string[],
  ): Promise<UpsertResult> {
    await super.upsertRecords(table, records, mergeOn);
    return freeze();
  }
  override async createRecords(
    table: string,
    records: readonly Fields[],
  ): Promise<AirtableRecord[]> {
    await super.createRecords(table, records);
    return freeze();
  }
}

const hook =
  process.env.CRASH_AFTER_WRITE === "1"
    ? new FreezingHook({ ...target })
    : undefined;
await serveWorker(
  target,
  AIRTABLE_DAGS,
  Number(process.env.PORT),
  (line) => process.stdout.write(`${line}\n`),
  hook,
);
process.stdout.write("READY\n");
