import { DOMAINS, DOMAIN_NAMES, type DomainEntry } from '../subgraphs/domains.js';

/** Options of {@link postSampleFacts}. */
export interface PostSampleFactsOptions {
  /** Base URL of each domain's subgraph (`http://127.0.0.1:4005`); facts go to `<base>/events`. */
  bases: Readonly<Record<string, string>>;
  /** Headers of every request (a producer token with `<domain>:write`). */
  headers: () => Promise<Record<string, string>>;
  /** One line per domain posted to, or per failure. */
  log: (line: string) => void;
  /** @default new Date() */
  now?: Date;
}

/**
 * Posts each domain's `sampleFacts` (subgraphs/domains.ts) to its subgraph: the simulator's hook for
 * domains added with `npm run new-domain`. A refusal is logged, not thrown: the demo runs on without it.
 */
export async function postSampleFacts(options: PostSampleFactsOptions): Promise<void> {
  const { bases, headers, log, now = new Date() } = options;
  for (const domain of DOMAIN_NAMES) {
    const facts = (DOMAINS as Record<string, DomainEntry>)[domain].sampleFacts?.(now);
    if (!facts?.length) continue;
    try {
      const response = await fetch(`${bases[domain]}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await headers()) },
        body: JSON.stringify(facts),
      });
      log(
        response.ok
          ? `${domain}: posted ${facts.length} sample facts (${outcomeOf(await response.text())})`
          : `${domain}: sample facts refused (${response.status}): ${brief(await response.text())}`,
      );
    } catch (error) {
      log(`${domain}: sample facts not posted: ${(error as Error).message}`);
    }
  }
}

/** The counts of an ingest report (`applied`, `duplicates`), not its line per event: one short log line. */
function outcomeOf(body: string): string {
  try {
    const report = JSON.parse(body) as { applied?: unknown; duplicates?: unknown };
    return `applied ${String(report.applied)}, duplicates ${String(report.duplicates)}`;
  } catch {
    return brief(body);
  }
}

/** At most 300 characters of an answer, for the log. */
function brief(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
