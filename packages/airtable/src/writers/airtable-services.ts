import { airtableRecordWatch } from "../sensors/record-watch.js";
import {
  airtableWriter,
  type AirtableWriterOptions,
} from "./airtable-writer.js";
import { airtableWriterInbox } from "./writer-inbox.js";

/**
 * Every Restate service the Airtable provider's tasks talk to: the per-base writer, its inboxes and the record watch.
 *
 * @example
 * createEndpointHandler({ services: [...airtableServices({ hookFor: () => hook }), ...workflows] });
 */
export function airtableServices(options: AirtableWriterOptions) {
  return [
    airtableWriterInbox(),
    airtableWriter(options),
    airtableRecordWatch(),
  ] as const;
}
