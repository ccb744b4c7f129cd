// Airflow's TypeScript SDK `…/hitl` module: tasks that wait for a person, run on poekhali's HITL operators.
export {
  approval,
  hitl,
  type ApprovalSpec,
  type HITLParam,
  type HITLResult,
  type HITLSpec,
  type HITLTask,
  type HITLText,
  type HITLTextArgs,
  type HITLUser,
} from "./spec.js";
