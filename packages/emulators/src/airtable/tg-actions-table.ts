import type { TableSchema } from "./table-schema.js";

/** The course's `tg_actions` table: an autoNumber id, five single-line texts and a UTC dateTime. */
export const TG_ACTIONS_TABLE: TableSchema = {
  id: "tblTgActns8vHq2Kx",
  name: "tg_actions",
  primaryFieldId: "fldIdAutoNumbr001",
  fields: [
    { id: "fldIdAutoNumbr001", name: "id", type: "autoNumber" },
    { id: "fldChatIdTextxx02", name: "chat_id", type: "singleLineText" },
    { id: "fldUsernameText03", name: "username", type: "singleLineText" },
    {
      id: "fldTriggeredAtxx4",
      name: "triggered_at",
      type: "dateTime",
      options: {
        dateFormat: { name: "iso", format: "YYYY-MM-DD" },
        timeFormat: { name: "24hour", format: "HH:mm" },
        timeZone: "utc",
      },
    },
    { id: "fldEventTypeTxt05", name: "event_type", type: "singleLineText" },
    { id: "fldReporterName06", name: "reporter_name", type: "singleLineText" },
  ],
};
