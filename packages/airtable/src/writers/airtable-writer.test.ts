import { describe, expect, it } from "vitest";
import { airtableWriter } from "./airtable-writer.js";

const hookFor = () => {
  throw new Error("no hook in this test");
};

describe("airtableWriter", () => {
  it("refuses a requestsPerSecond below 2 or not whole, naming the option", () => {
    for (const requestsPerSecond of [1, 0, -5, 2.5])
      expect(() => airtableWriter({ hookFor, requestsPerSecond })).toThrow(
        /requestsPerSecond must be a whole number of at least 2/,
      );
  });

  it("takes 2 requests per second and Airtable's 5 by default", () => {
    expect(airtableWriter({ hookFor, requestsPerSecond: 2 }).name).toBe(
      "airtable_writer",
    );
    expect(airtableWriter({ hookFor }).name).toBe("airtable_writer");
  });
});
