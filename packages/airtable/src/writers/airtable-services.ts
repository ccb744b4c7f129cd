import { airtableRecordWatch } from "../sensors/record-watch.js";
import {
  airtableWriter,
  type AirtableWriterOptions,
} from "./airtable-writer.js";

/**
 * Every Restate service the Airtable provider's tasks talk to: the per-base writer and the record watch.
 *
 * @example
 * createEndpointHandler({ services: [...airtableServices({ hookFor: () => hook }), ...workflows] });
 */
export function airtableServices(options: AirtableWriterOptions) {
  return [airtableWriter(options), airtableRecordWatch()] as const;
}
