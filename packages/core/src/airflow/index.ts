// Airflow's TypeScript SDK (`@apache-airflow/ts-sdk` 1.0) authoring API, compiled onto poekhali's core.
// Must come first: the Restate SDK needs Promise.withResolvers on Node 20.
import "../polyfill.js";

// Declaring DAGs
export {
  Dag,
  type Branch,
  type Condition,
  type ConditionElse,
  type TaskFunction,
  type TaskGroupOptions,
} from "./dag.js";
export { Bundle, type Registerable } from "./bundle.js";
export type {
  Node,
  TaskRef,
  TaskGroupRef,
  TaskFactory,
  TaskInputs,
} from "./nodes.js";
export type {
  DagSpec,
  TaskSpec,
  TaskOptions,
  TriggerRule,
} from "./task-spec.js";

// poekhali's providers as tasks: what `sendButton()`, `upsertAirtableRecord()`, … return, and params as inputs
export {
  operatorTask,
  isOperatorTask,
  param,
  type OperatorTask,
  type OperatorTaskBuild,
  type OperatorTaskOptions,
  type OperatorTaskFactory,
  type OperatorInputs,
} from "./operator-task.js";

// poekhali's channels for `hitl(...)`/`approval(...)`: the request put to a chat too (`inTelegram` wraps this)
export { withHITLChannels, hitlChannelsOf } from "./hitl/hitl-channels.js";

// Inside a running task
export { getContext, getClient, type TaskContext } from "./task-scope.js";
export type {
  TaskClient,
  GetXComOpts,
  SetXComOpts,
  JsonValue,
  ConnectionResult,
} from "./task-client.js";

// Exported by the SDK, refused by poekhali when used
export {
  NEVER_EXPIRE,
  TaskHandler,
  Asset,
  withArgList,
  withArgNames,
  triggerDagRun,
} from "./not-yet.js";

// Errors
export {
  VariableNotFoundError,
  ConnectionNotFoundError,
  NotSupportedYetError,
} from "./errors.js";

// For the DAG loader: the DAGs a file declares, compiled to poekhali DAGs
export { collectAirflowDags } from "./registry.js";
export { compileAirflowDag, type CompiledAirflowDag } from "./compile.js";
export { isAirflowDag } from "./dag.js";

// For the worker: where XCom written under a key is kept
export {
  airflowXCom,
  xcomObjectKey,
  AIRFLOW_XCOM_NAME,
  type AirflowXComObject,
} from "./xcom-object.js";

// For the worker and the REST API: where Variables are kept
export {
  airflowVariable,
  AIRFLOW_VARIABLE_NAME,
  VARIABLE_STATE_KEY,
  type AirflowVariableObject,
  type VariableChange,
} from "./variable-object.js";
