import { AIRFLOW_HITL_NAME } from "@poekhali/core";
import {
  AIRFLOW_VARIABLE_NAME,
  AIRFLOW_XCOM_NAME,
} from "@poekhali/core/airflow";
import {
  MESSAGES_NAME,
  POLL_LEASE_NAME,
  ROUTER_NAME,
  TELEGRAM_HITL_NAME,
  UPDATE_RELAY_NAME,
} from "@poekhali/telegram";
import { INBOX_NAME, RECORD_WATCH_NAME, WRITER_NAME } from "@poekhali/airtable";
import { RUN_RESTARTS_NAME } from "./worker/run-restarts.js";
import { EVENT_LOG_NAME } from "@poekhali/core";
import { DAG_STATE_NAME } from "./api-state/dag-state-object.js";
import { RUN_RECORD_NAME } from "./api-state/run-record-object.js";

/**
 * The names of the Restate services poekhali's worker serves beside the DAGs: a DAG file may not export a service
 * under one of them (the worker checks at start that it serves no other of its own).
 */
export const OWN_SERVICE_NAMES: ReadonlySet<string> = new Set([
  ROUTER_NAME,
  POLL_LEASE_NAME,
  UPDATE_RELAY_NAME,
  MESSAGES_NAME,
  TELEGRAM_HITL_NAME,
  RUN_RESTARTS_NAME,
  WRITER_NAME,
  INBOX_NAME,
  RECORD_WATCH_NAME,
  AIRFLOW_XCOM_NAME,
  AIRFLOW_VARIABLE_NAME,
  AIRFLOW_HITL_NAME,
  EVENT_LOG_NAME,
  DAG_STATE_NAME,
  RUN_RECORD_NAME,
]);
