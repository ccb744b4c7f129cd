import { z } from "zod";

/** Airflow's `UpdateHITLDetailPayload`: the options chosen (at least one) and the form's values. */
export const updateHitlDetailPayload = z.strictObject({
  chosen_options: z.array(z.string()).min(1),
  params_input: z.record(z.string(), z.unknown()).default({}),
});
