import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { restateServerBinary } from "./restate-server.js";
import {
  CLUSTER_NODE_SETTINGS,
  EMBEDDED_RESTATE_SETTINGS,
  restateSettingsFromEnv,
  restateSettingsServerEnv,
} from "./restate-server-settings.js";

/** The configuration restate-server itself reads from an environment (`--dump-config`). */
function dumpedConfig(env: Record<string, string>): string {
  return execFileSync(restateServerBinary(), ["--dump-config"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

describe("the embedded restate-server's settings, as restate-server reads them", () => {
  it("runs at most 256 invocations at once per partition and caps RocksDB, the query engine and the record cache", () => {
    const dumped = dumpedConfig(
      restateSettingsServerEnv(EMBEDDED_RESTATE_SETTINGS),
    );
    expect(dumped).toMatch(
      /^\[worker\.invoker\]\n(.*\n)*?concurrent-invocations-limit = 256$/m,
    );
    expect(dumped).toMatch(/^rocksdb-total-memory-size = "512\.0 MiB"$/m);
    expect(dumped).toMatch(
      /^\[admin\.query-engine\]\nmemory-size = "256\.0 MiB"$/m,
    );
    expect(dumped).toMatch(
      /^\[bifrost\]\n(.*\n)*?record-cache-memory-size = "64\.0 MiB"$/m,
    );
  });

  it("gives each of a cluster's nodes half the RocksDB memory and the same limits otherwise", () => {
    const dumped = dumpedConfig(
      restateSettingsServerEnv(CLUSTER_NODE_SETTINGS),
    );
    expect(dumped).toMatch(/^rocksdb-total-memory-size = "256\.0 MiB"$/m);
    expect(dumped).toMatch(/^concurrent-invocations-limit = 256$/m);
  });

  it("takes what the operator sets in POEKHALI_RESTATE_* over the defaults, as restate-server reads it", () => {
    const settings = restateSettingsFromEnv({
      POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: " 1000 ",
      POEKHALI_RESTATE_ROCKSDB_MEMORY: "1GiB",
      POEKHALI_RESTATE_QUERY_MEMORY: "1 GiB",
      POEKHALI_RESTATE_RECORD_CACHE_MEMORY: "250MiB",
    });
    expect(settings).toEqual({
      concurrentInvocations: 1000,
      rocksdbMemory: "1GiB",
      queryMemory: "1 GiB",
      recordCacheMemory: "250MiB",
    });
    const dumped = dumpedConfig(
      restateSettingsServerEnv({ ...EMBEDDED_RESTATE_SETTINGS, ...settings }),
    );
    expect(dumped).toMatch(/^concurrent-invocations-limit = 1000$/m);
    expect(dumped).toMatch(/^rocksdb-total-memory-size = "1\.0 GiB"$/m);
    expect(dumped).toMatch(/^memory-size = "1\.0 GiB"$/m);
    expect(dumped).toMatch(/^record-cache-memory-size = "250\.0 MiB"$/m);
    // Unset or empty, a variable leaves its default alone.
    expect(
      restateSettingsFromEnv({ POEKHALI_RESTATE_QUERY_MEMORY: "" }),
    ).toEqual({});
  });

  it("names the variable that is not a count or a size", () => {
    const problem = (env: Record<string, string>) => {
      try {
        restateSettingsFromEnv(env);
      } catch (error) {
        return error instanceof ConfigError ? error.message : String(error);
      }
      return "no error";
    };
    for (const bad of ["0", "-5", "12.5", "many"])
      expect(problem({ POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: bad })).toMatch(
        /^POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: must be a whole number/,
      );
    for (const bad of ["lots", "256 MiBs", "-1GiB"])
      expect(problem({ POEKHALI_RESTATE_QUERY_MEMORY: bad })).toMatch(
        /^POEKHALI_RESTATE_QUERY_MEMORY: must be a size such as 256MiB/,
      );
  });
});
