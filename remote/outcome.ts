// What a deploy or rollback ended with (the result event without its envelope) and its exit code.
import type { ResultEvent } from '../common/events.js';

/** What a deploy or rollback ended with; becomes the `result` event and the exit code. */
export type Outcome = Omit<ResultEvent, 'v' | 'ts' | 'type' | 'durations' | 'mode'>;

export function exitCode(o: Outcome): number {
  return o.status === 'success' ? 0 : o.status === 'rolled_back' ? 3 : 1;
}
