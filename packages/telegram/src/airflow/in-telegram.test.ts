import {
  ApprovalOperator,
  HITLOperator,
  resolveArgs,
  type HITLTask,
  type HITLArgs,
  type Json,
} from "@poekhali/core";
import {
  Dag,
  compileAirflowDag,
  hitlChannelsOf,
  param,
  withHITLChannels,
} from "@poekhali/core/airflow";
import { approval, hitl } from "@poekhali/core/airflow/hitl";
import { describe, expect, it } from "vitest";
import { inTelegram } from "./in-telegram.js";

describe("inTelegram(...) of an SDK HITL task", () => {
  it("compiles to the core operator with a Telegram channel whose settings read conf", () => {
    const sdk = new Dag("sdk_tg_hitl", { params: { quorum: 2 } });
    const plain = approval({ subject: "Ship it?", failOnReject: true });
    const signOff = sdk.task(
      "sign_off",
      inTelegram(plain, {
        quorum: param<number>("quorum"),
        allowedUsernames: ["anna", "boris"],
        language: "ru",
      }),
    )();
    sdk
      .task("region", hitl({ subject: "Where?", options: ["eu", "us"] }))()
      .after(signOff);

    const { dag } = compileAirflowDag(sdk);
    const ask = dag.task("sign_off") as HITLTask<Json>;
    expect(ask).toBeInstanceOf(ApprovalOperator);
    expect(ask).toMatchObject({ failOnReject: true });
    expect(ask.channels.map((c) => c.name)).toEqual(["telegram"]);
    const args = resolveArgs<HITLArgs>(ask.args, {
      outputs: new Map(),
      params: { quorum: 3 },
    });
    expect(args.channels).toEqual([
      {
        conn_id: "telegram_default",
        chat_id: null,
        quorum: 3,
        veto: [],
        allowed_usernames: ["anna", "boris"],
        allowed_user_ids: [],
        remind_after: null,
        escalate_after: null,
        escalate_chat_id: null,
        language: "ru",
      },
    ]);
    // A task not wrapped is answered over the REST API only; the wrapped one's original is left as it was.
    const region = dag.task("region") as HITLTask<Json>;
    expect(region).toBeInstanceOf(HITLOperator);
    expect(region.channels).toEqual([]);
    expect(hitlChannelsOf(plain)).toEqual([]);
  });

  it("adds to the channels a task has, and refuses what is not a HITL task", () => {
    const twice = inTelegram(
      inTelegram(hitl({ subject: "x", options: ["a"] })),
      {
        chatId: "-1002",
      },
    );
    expect(hitlChannelsOf(twice)).toHaveLength(2);
    expect(() => withHITLChannels({ subject: "x" } as never, [])).toThrow(
      "takes a task made by hitl(...) or approval(...)",
    );
  });
});
