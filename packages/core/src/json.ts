/** A value that survives a JSON round trip: what XCom, params and task outputs are made of. */
export type Json =
  string | number | boolean | null | Json[] | { [key: string]: Json };

/** An object of JSON values, the shape of params, conf and most task outputs. */
export type JsonObject = { [key: string]: Json };
