import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { z } from "zod";
import { EmulatorUsageError } from "../errors.js";

/**
 * An emulator's state on disk, as one JSON snapshot replaced atomically (write a temporary file, fsync, rename),
 * so that a process killed at any moment leaves either the previous snapshot or the new one, never half of one.
 */
export class StateFile {
  #last: string | undefined;

  constructor(
    /** The snapshot's path; its directory is made when missing. */
    readonly path: string,
    /** What the snapshot holds, for error messages ("Telegram emulator"). */
    private readonly what: string,
  ) {}

  /** Reads the snapshot as `schema` says it must be, or returns undefined when there is none yet. */
  load<T>(schema: z.ZodType<T>): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new EmulatorUsageError(
        `cannot read the ${this.what}'s state file ${this.path}: ${String(error)}`,
        { cause: error },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text) as unknown;
    } catch (error) {
      throw this.#corrupt(String(error));
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw this.#corrupt(parsed.error.issues[0]?.message ?? "");
    this.#last = text;
    return parsed.data;
  }

  /** The error for a snapshot that is not what this emulator writes. */
  #corrupt(why: string): EmulatorUsageError {
    return new EmulatorUsageError(
      `${this.path} is not a state file of the ${this.what} (${why}); move it away to start with an empty state`,
    );
  }

  /** Writes the snapshot unless it is the same as the last one read or written. */
  save(snapshot: unknown): void {
    const text = `${JSON.stringify(snapshot)}\n`;
    if (text === this.#last) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    // Owner-only: the snapshot holds the emulated bots' and bases' tokens.
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    this.#last = text;
  }
}
