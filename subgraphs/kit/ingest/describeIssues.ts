import type { z } from 'zod';

/** Why an event was rejected, naming the offending field (`data.quantity`, `time`, ...). */
export interface EventRejection {
  /** Dotted path of the first offending field, or `''` when the event as a whole is wrong. */
  field: string;
  /** Human-readable reason. */
  reason: string;
}

/** Turns zod issues into one readable reason that names the field, e.g. `data.quantity: expected number`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): EventRejection {
  const first = issues[0];
  const field = [prefix, ...(first?.path ?? []).map(String)].filter(Boolean).join('.');
  const reasons = issues.slice(0, 5).map((issue) => {
    const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return at ? `${at}: ${issue.message}` : issue.message;
  });
  return { field, reason: reasons.join('; ') };
}
