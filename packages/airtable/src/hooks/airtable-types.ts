/** Field values of one record, as the REST API takes and gives them. */
export type Fields = Record<
  string,
  string | number | boolean | null | string[]
>;

/** One record as Airtable returns it. */
export type AirtableRecord = {
  readonly id: string;
  readonly createdTime: string;
  readonly fields: Fields;
};

/** One column as the metadata API describes it. */
export type FieldMeta = {
  readonly id: string;
  readonly name: string;
  /** Airtable's type name, e.g. `singleLineText`, `dateTime`. */
  readonly type: string;
};

/** A table as the metadata API describes it. */
export type TableMeta = {
  readonly id: string;
  readonly name: string;
  readonly fields: FieldMeta[];
};

/** What an upsert answers: every record, and which of them it created or updated. */
export type UpsertResult = {
  readonly records: AirtableRecord[];
  readonly createdRecords: string[];
  readonly updatedRecords: string[];
};

/** Options of a records listing. */
export type ListOptions = {
  /** Only records for which this formula is true, e.g. `{chat_id} = '-100123'`. */
  readonly filterByFormula?: string;
  readonly sort?: readonly {
    readonly field: string;
    readonly direction?: "asc" | "desc";
  }[];
  /** Only these fields of each record. */
  readonly fields?: string[];
  /** Stop after this many records, across pages. */
  readonly maxRecords?: number;
  /** Records per page, up to 100. */
  readonly pageSize?: number;
  readonly view?: string;
};
