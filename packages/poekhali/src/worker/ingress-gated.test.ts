import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clients from "@restatedev/restate-sdk-clients";
import {
  INGRESS_SIGNATURE_HEADER,
  ingressSignature,
  signedIngressFetch,
} from "@poekhali/core";
import { connectIngress } from "../restate/connect-ingress.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { choosePort } from "../ports.js";
import { waitFor } from "../wait-for.js";
import { ingressGated } from "./ingress-gated.js";
import { serveEndpoint } from "./serve-endpoint.js";

const KEY = "ingress-gated-test-key-0123456789abcdef";

const box = restate.object({
  name: "gated_box",
  handlers: {
    put: async (ctx: restate.ObjectContext, value: string): Promise<void> => {
      ctx.set("value", value);
      await Promise.resolve();
    },
    get: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<string | null> =>
        ctx.get<string>("value"),
    ),
  },
});
type Box = typeof box;

// An ungated service that reaches the box from inside Restate, as a DAG run reaches a Variable.
const courier = restate.service({
  name: "gated_courier",
  handlers: {
    deliver: async (ctx: restate.Context, value: string): Promise<string> => {
      await ctx.objectClient<Box>({ name: "gated_box" }, "inner").put(value);
      return (
        (await ctx.objectClient<Box>({ name: "gated_box" }, "inner").get()) ??
        ""
      );
    },
  },
});

describe("ingressGated: a handler behind the gate runs for signed ingress requests and for other handlers only", () => {
  let stack: TemporaryRestate;
  let url: string;
  const post = (path: string, body?: unknown, headers = {}) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** Puts `value` in the box `key` by a request signed with the key, as the web tier does, and checks it was taken. */
  const signedPut = async (key: string, value: string) => {
    const put = await signedIngressFetch(url, KEY)(
      `${url}/gated_box/${key}/put`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(value),
      },
    );
    expect(put.status).toBe(200);
    await put.text();
  };

  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-gate-");
    url = stack.server.ingressUrl;
    await stack.deploy([ingressGated(box, KEY), courier]);
  });
  afterAll(() => stack?.stop());

  it("takes a call signed with the key, through the typed clients", async () => {
    const client = connectIngress(url);
    // connectIngress signs with the process's key: the unit tests' POEKHALI_INTERNAL_KEY is not this one.
    const signed = clients
      .connect({ url, fetch: signedIngressFetch(url, KEY) })
      .objectClient<Box>({ name: "gated_box" }, "a/b Ж");
    await signed.put("kept");
    expect(await signed.get()).toBe("kept");
    await expect(
      client.objectClient<Box>({ name: "gated_box" }, "a/b Ж").get(),
    ).rejects.toThrow(/not this worker's POEKHALI_INTERNAL_KEY/);
  });

  it("refuses an unsigned request with a 403 naming the header, before the handler runs", async () => {
    const res = await post("/gated_box/x/put", "forged", {
      origin: "https://evil.example",
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain(INGRESS_SIGNATURE_HEADER);
    const read = await signedIngressFetch(url, KEY)(`${url}/gated_box/x/get`, {
      method: "POST",
    });
    expect(await read.json()).toBeNull();
  });

  it("refuses a signature made for another path or another body", async () => {
    await signedPut("y", "a");
    // The signature that `put` of "a" to key y carried, sent again with another value, and to another key.
    const captured = ingressSignature(
      KEY,
      { service: "gated_box", key: "y", handler: "put" },
      JSON.stringify("a"),
    );
    for (const [path, body] of [
      ["/gated_box/y/put", "b"],
      ["/gated_box/z/put", "a"],
    ] as const) {
      const res = await post(path, body, {
        [INGRESS_SIGNATURE_HEADER]: captured,
      });
      expect(res.status, path).toBe(403);
      await res.text();
    }
    const kept = await signedIngressFetch(url, KEY)(`${url}/gated_box/y/get`, {
      method: "POST",
    });
    expect(await kept.json()).toBe("a");
  });

  it("refuses a captured signature sent to another target under a spoofed x-restate-ingress-path header", async () => {
    await signedPut("spoof", "kept");
    // A signature of `get` on key `spoof` (empty body), replayed to `put` of another key with an empty body, the
    // header naming the path it was made for: restate-server 1.7 passes the client's x-restate-* headers on.
    const captured = ingressSignature(
      KEY,
      { service: "gated_box", key: "spoof", handler: "get" },
      undefined,
    );
    const forged = await post("/gated_box/victim/put", undefined, {
      [INGRESS_SIGNATURE_HEADER]: captured,
      "x-restate-ingress-path": "/gated_box/spoof/get",
    });
    expect(forged.status).toBe(403);
    await forged.text();
    // The same signature on the target it was made for is taken.
    const read = await post("/gated_box/spoof/get", undefined, {
      [INGRESS_SIGNATURE_HEADER]: captured,
    });
    expect(read.status).toBe(200);
    expect(await read.json()).toBe("kept");
  });

  it("takes a signed send with a delay (send?delay=) through the typed clients", async () => {
    const ingress = clients.connect({
      url,
      fetch: signedIngressFetch(url, KEY),
    });
    const sent = await ingress
      .objectSendClient<Box>({ name: "gated_box" }, "later")
      .put("delayed", clients.rpc.sendOpts({ delay: { milliseconds: 100 } }));
    const box = ingress.objectClient<Box>({ name: "gated_box" }, "later");
    await waitFor("the delayed put to land", 20_000, async () => {
      const [row] = await stack.server.query<{ status: string }>(
        `SELECT status FROM sys_invocation WHERE id = '${sent.invocationId}'`,
      );
      return row?.status === "completed";
    });
    expect(await box.get()).toBe("delayed");
    const [row] = await stack.server.query<{ completion_result: string }>(
      `SELECT completion_result FROM sys_invocation WHERE id = '${sent.invocationId}'`,
    );
    expect(row?.completion_result).toBe("success");
  });

  it("signs a Request given as input whole: its method, headers and body", async () => {
    const sign = signedIngressFetch(url, KEY);
    const put = await sign(
      new Request(`${url}/gated_box/request/put`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify("from a Request"),
      }),
    );
    expect(put.status).toBe(200);
    await put.text();
    const read = await sign(
      new Request(`${url}/gated_box/request/get`, { method: "POST" }),
    );
    expect(await read.json()).toBe("from a Request");
  });

  it("refuses a key shorter than 32 characters, naming POEKHALI_INTERNAL_KEY and what is required, not the key", () => {
    const weak = "k".repeat(31);
    expect(() => ingressGated(box, weak)).toThrow(
      /POEKHALI_INTERNAL_KEY is too short \(31 characters\): use a random string of at least 32 characters/,
    );
    expect(() => ingressGated(box, weak)).not.toThrow(weak);
    expect(() => ingressGated(box, "")).toThrow(
      /POEKHALI_INTERNAL_KEY is not set/,
    );
  });

  it("lets another handler call it from inside Restate, though that handler was called unsigned", async () => {
    const res = await post("/gated_courier/deliver", "from inside");
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("from inside");
  });

  it("lets a run parked before the gate existed resume behind it: the check is made when an invocation starts", async () => {
    const parked = restate.workflow({
      name: "gated_parked",
      options: { inactivityTimeout: 200 },
      handlers: {
        run: async (ctx: restate.WorkflowContext): Promise<string> =>
          `released with ${await ctx.promise<string>("go")}`,
        release: restate.handlers.workflow.shared(
          async (ctx: restate.WorkflowSharedContext, value: string) => {
            await ctx.promise<string>("go").resolve(value);
          },
        ),
      },
    });
    const port = await choosePort(0);
    // The code before the gate: the run starts unsigned, as every run did, and suspends on its promise.
    const before = await serveEndpoint(
      createEndpointHandler({ services: [parked] }),
      { port },
    );
    await stack.server.register(before.url);
    const started = await post("/gated_parked/old/run/send", undefined, {
      origin: "http://127.0.0.1:3000",
    });
    expect(started.status).toBe(202);
    await started.text();
    await waitFor("the old run to suspend", 20_000, async () => {
      const [row] = await stack.server.query<{ status: string }>(
        "SELECT status FROM sys_invocation WHERE target_service_name = 'gated_parked' AND target_service_key = 'old'",
      );
      return row?.status === "suspended";
    });
    await before.stop();
    // The same deployment, now behind the gate (an upgrade of the worker under a parked run).
    const after = await serveEndpoint(
      createEndpointHandler({ services: [ingressGated(parked, KEY)] }),
      { port },
    );
    try {
      const sign = signedIngressFetch(url, KEY);
      const released = await sign(`${url}/gated_parked/old/release`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify("the key"),
      });
      expect(released.status).toBe(200);
      await released.text();
      const output = await sign(
        `${url}/restate/workflow/gated_parked/old/attach`,
        { method: "GET" },
      );
      expect(await output.json()).toBe("released with the key");
      // A new run started the same way is refused.
      const fresh = await post("/gated_parked/new/run", undefined, {
        origin: "http://127.0.0.1:3000",
      });
      expect(fresh.status).toBe(403);
      await fresh.text();
    } finally {
      await after.stop();
    }
  });
});
