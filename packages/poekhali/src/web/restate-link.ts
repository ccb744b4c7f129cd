/** The page of one invocation in the Restate UI (served by restate-server at `{admin}/ui/`): its journal and state. */
export function restateInvocationLink(
  restateUi: string,
  invocationId: string,
): string {
  return `${restateUi.replace(/\/?$/, "/")}invocations/${encodeURIComponent(invocationId)}`;
}
