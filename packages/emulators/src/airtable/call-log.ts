/** One REST request a client made to the Airtable emulator, as the control API returns it. */
export interface AirtableCall {
  /** The HTTP method. */
  method: string;
  /** The path, without the query string (e.g. `/v0/meta/bases/app…/tables`). */
  path: string;
  /** The base the request names, or null (e.g. `/v0/meta/bases`). */
  base_id: string | null;
  /** The answer's HTTP status: 429 when the base's rate limit refused it. */
  status: number;
  /** When the request arrived, in milliseconds on the emulator's clock. */
  time: number;
}

/** The base a REST path names: `/v0/{base}/…` or `/v0/meta/bases/{base}/…`. */
export function baseOfPath(path: string): string | null {
  const parts = path.split("/");
  if (parts[1] !== "v0") return null;
  const base = parts[2] === "meta" ? parts[4] : parts[2];
  return base !== undefined && base !== "" ? base : null;
}

/** How many calls the log keeps: a long-running `poekhali emulators` must not grow without end. */
const KEEP = 10_000;

/** The latest REST requests the emulator answered, in arrival order, so tests can count what a client spent. */
export class AirtableCallLog {
  private calls: AirtableCall[] = [];

  /** Records an answered request, forgetting the oldest past the latest 10 000. */
  record(call: AirtableCall): void {
    this.calls.push(call);
    if (this.calls.length > KEEP)
      this.calls.splice(0, this.calls.length - KEEP);
  }

  /** Lists the calls, optionally only those naming one base. */
  list(baseId?: string): AirtableCall[] {
    return this.calls.filter(
      (call) => baseId === undefined || call.base_id === baseId,
    );
  }

  /** Forgets the recorded calls. */
  clear(): void {
    this.calls = [];
  }
}
