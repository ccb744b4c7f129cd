/** One person's part in a request: their counted choice, and (for `multiple`) the options toggled but not submitted. */
export interface Voter {
  readonly user_id: number;
  readonly name: string;
  /** The options this person's vote counts for: one, or (for `multiple`) the set they submitted; null before. */
  readonly choice: string[] | null;
  /** For `multiple`: what their ✓ marks stand at; submitting makes it their choice. */
  readonly draft: string[];
}

/** The people who pressed, by Telegram user id: one entry per person, so each person's latest choice counts once. */
export type Votes = Record<string, Voter>;

/** What makes a choice win: `quorum` distinct people chose an option, or one chose a `veto` option. */
export interface VoteRule {
  readonly quorum: number;
  readonly veto: readonly string[];
}

/** A choice's identity, whatever order its options were toggled in. */
const choiceKey = (options: readonly string[]) =>
  JSON.stringify([...options].sort());

/** How many people's counted choice includes each option, in the request's order. */
export function tally(
  options: readonly string[],
  votes: Votes,
): Record<string, number> {
  const counts = Object.fromEntries(options.map((o) => [o, 0]));
  for (const voter of Object.values(votes))
    for (const option of voter.choice ?? [])
      if (option in counts) counts[option] = (counts[option] ?? 0) + 1;
  return counts;
}

/**
 * The choice that wins after `voter` changed theirs: theirs when it holds a veto option; else, for one option, that
 * option once `quorum` distinct people chose it; for `multiple`, every option that `quorum` distinct people chose
 * (each counted per option, as the tally shows), once at least one has. Null while nothing has won.
 */
export function winner(
  options: readonly string[],
  votes: Votes,
  voter: Voter,
  rule: VoteRule,
  multiple = false,
): string[] | null {
  const choice = voter.choice;
  if (!choice || choice.length === 0) return null;
  if (choice.some((o) => rule.veto.includes(o))) return choice;
  const counts = tally(options, votes);
  const quorum = Math.max(1, rule.quorum);
  const won = (multiple ? options : choice).filter(
    (o) => (counts[o] ?? 0) >= quorum,
  );
  return won.length > 0 ? won : null;
}

/** Toggles an option in a draft, keeping the request's order of options. */
export function toggle(
  options: readonly string[],
  draft: readonly string[],
  option: string,
): string[] {
  const on = draft.includes(option)
    ? draft.filter((o) => o !== option)
    : [...draft, option];
  return options.filter((o) => on.includes(o));
}

/** Whether two choices are the same set of options. */
export function sameChoice(
  a: readonly string[] | null,
  b: readonly string[] | null,
): boolean {
  return a !== null && b !== null && choiceKey(a) === choiceKey(b);
}
