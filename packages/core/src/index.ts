// Must come first: the Restate SDK needs Promise.withResolvers on Node 20.
import "./polyfill.js";

// DAGs
export { dag, Dag, type DagOptions } from "./dag.js";
export type { DefaultArgs } from "./dag-builder.js";
export {
  type ParamRef,
  type ParamRefs,
  type ParamsSchema,
  type DurationParamOptions,
  MAX_CONF_DEPTH,
  durationParam,
  isParamRef,
  parseConf,
} from "./params.js";

// Tasks: operators, sensors, TaskFlow functions, XCom
export { BaseTask, type BaseTaskOptions } from "./task.js";
export {
  BaseOperator,
  type BaseOperatorOptions,
  type OperatorReleaseContext,
} from "./operator.js";
export { DeferrableOperator } from "./deferrable-operator.js";
export type {
  DeferContext,
  DeferTarget,
  LastWord,
  ReleaseContext,
  ReleaseReason,
  TaskInstanceKey,
} from "./defer-context.js";
export { DeferrableSensor, type BaseSensorOptions } from "./sensor.js";
export {
  BaseSensor,
  type PokeSensorOptions,
  type PokeResult,
} from "./poke-sensor.js";
export { chain } from "./chain.js";
export { FunctionOperator, task } from "./function-operator.js";
export {
  TriggerDagRunOperator,
  type TriggerDagRunOptions,
  type TriggeredRun,
} from "./trigger-dag-run-operator.js";
export type {
  DagRunStarter,
  FoundRun,
  TriggeredBy,
} from "./dag-run-starter.js";
export {
  BranchOperator,
  branch,
  type BranchChoice,
} from "./branch-operator.js";
export {
  readiness,
  TRIGGER_RULES,
  type Readiness,
  type TriggerRule,
} from "./trigger-rule.js";
export {
  XComArg,
  Template,
  template,
  type Arg,
  type Args,
  isXComArg,
  isTemplate,
  resolveArg,
  resolveArgs,
} from "./xcom.js";
export type { TaskContext, TaskLogger } from "./context.js";

// People in the loop (Airflow's HITLOperator and ApprovalOperator)
export {
  HITLOperator,
  HITLTask,
  type HITLArgs,
  type HITLOperatorOptions,
  type HITLTaskOptions,
} from "./hitl/hitl-operator.js";
export {
  ApprovalOperator,
  APPROVE,
  REJECT,
  type ApprovalOperatorOptions,
} from "./hitl/approval-operator.js";
export {
  hitlObjectKey,
  hitlStateKey,
  type HITLAnswer,
  type HITLAnswerResult,
  type HITLDecision,
  type HITLEntry,
  type HITLParam,
  type HITLRefusal,
  type HITLRequest,
  type HITLResponse,
  type HITLResult,
  type HITLUser,
} from "./hitl/hitl-types.js";
export { checkAnswer, isAssigned } from "./hitl/hitl-answer.js";
export { checkParamValue } from "./hitl/param-schema.js";
export type { XComStore, XComLocator } from "./xcom-store.js";
export {
  MAX_VARIABLE_KEY_LENGTH,
  variableKeyProblem,
  type VariableStore,
  type StoredVariable,
} from "./variable-store.js";

// Runs on Restate
export {
  dagWorkflow,
  DAG_INACTIVITY_TIMEOUT_MS,
  type DagWorkflow,
  type DagRunInput,
  type DagRunResult,
} from "./workflow.js";
export { DagRunner } from "./dag-runner.js";
export {
  airflowHitl,
  AIRFLOW_HITL,
  AIRFLOW_HITL_NAME,
  HITL_ANSWER_PURPOSE,
  type AirflowHitlObject,
  type HITLClose,
} from "./hitl/hitl-object.js";
export type {
  HITLChannel,
  HITLChannelOpen,
  HITLOpen,
} from "./hitl/hitl-channel.js";
export {
  INTERNAL_KEY_ENV,
  internalKey,
  signCall,
  verifyCall,
  internalKeyProblem,
  MIN_INTERNAL_KEY_LENGTH,
  type SignedCall,
} from "./internal-key.js";
export {
  INGRESS_REFUSED,
  INGRESS_SIGNATURE_HEADER,
  ingressGate,
  ingressRefusal,
  ingressSignature,
  signedIngressFetch,
} from "./ingress-signature.js";
export {
  eventLogObject,
  EVENT_LOG_PURPOSE,
  EVENT_LOG,
  EVENT_LOG_ENTRY_PREFIX,
  EVENT_LOG_KEY,
  EVENT_LOG_NAME,
  type EventLogEntry,
  type EventLogObject,
  type EventLogRecord,
} from "./event-log/event-log-object.js";
export { closest } from "./closest.js";
export {
  clearTasks,
  instancesOf,
  logKey,
  markTasks,
  relatives,
  runOf,
  RUN_KEY,
  TASK_INSTANCES_KEY,
  xcomKey,
  type RunResume,
} from "./run-resume.js";
export {
  taskContext,
  maskSecrets,
  type WorkerRuntime,
  type TaskLogLine,
} from "./task-context.js";
export {
  connectionFromEnv,
  connectionsFromEnv,
} from "./connections-from-env.js";
export type {
  TaskState,
  TaskInstance,
  TryRecord,
  DagRunState,
  DagRun,
  DagRunStatus,
} from "./task-instance.js";

// Connections, values, errors
export {
  type Connection,
  type Connections,
  StaticConnections,
} from "./connections.js";
export { type Duration, MAX_DURATION_MS, toMillis } from "./duration.js";
export type { Json, JsonObject } from "./json.js";
export {
  PoekhaliError,
  DagDefinitionError,
  ConfError,
  ConnectionError,
  SkipTask,
} from "./errors.js";
export { isRetryable } from "./attempt.js";

// Talking to Restate from outside a handler
export {
  RestateIngress,
  IngressError,
  type IngressTarget,
  type SendAccepted,
} from "./ingress.js";

// Naming another Restate handler, from a sensor or through the ingress, checked by the compiler
export { handlerTarget, type HandlerTarget } from "./handler-target.js";
