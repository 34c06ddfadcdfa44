import { readFile } from 'node:fs/promises';
import type { SupergraphManager } from '@apollo/gateway';
import { composeSubgraphs, type SubgraphSdl } from './composeSubgraphs.js';
import { fetchSubgraphSdl, type SubgraphEndpoint } from './fetchSubgraphSdl.js';
import { gatewayCompatibleSdl } from './gatewayCompatibleSdl.js';
import { apiSchemaOf, describeBreakingChanges } from './describeBreakingChanges.js';

/** Where the supergraph comes from: composed from running subgraphs, or read from a composed file. */
export type SupergraphSource =
  | {
      kind: 'subgraphs';
      subgraphs: SubgraphEndpoint[];
      /** How often subgraphs are asked for their SDL, so changes are picked up. */
      pollIntervalMs: number;
      /** Headers sent with a subgraph's SDL requests (the gateway's identity signed for it, once auth is on). */
      headers?: (subgraph: string) => Promise<Record<string, string>>;
    }
  | { kind: 'file'; path: string; pollIntervalMs: number };

/** Options of the supergraph manager. */
export interface SupergraphManagerOptions {
  source: SupergraphSource;
  /** Receives every supergraph taken into service (the original SDL, auth directives included). */
  onSupergraph: (supergraphSdl: string) => void;
  /** Where problems go (unreachable subgraphs, composition reports, breaking changes). */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long start waits for the first good supergraph before failing. @default 120000 */
  initialTimeoutMs?: number;
  /**
   * Subgraphs the gateway serves itself (the data product catalog), composed beside the remote ones
   * when composing from running subgraphs. A supergraph file must already contain them.
   * @default []
   */
  localSubgraphs?: SubgraphSdl[];
}

/**
 * A `SupergraphManager` for @apollo/gateway that loads the first supergraph (retrying while subgraphs
 * come up), then polls. A change that does not compose is refused with its report and the last good
 * supergraph stays in service; breaking changes are reported as warnings.
 */
export function createSupergraphManager(options: SupergraphManagerOptions): SupergraphManager & { current(): string | null } {
  const { source, onSupergraph, log, initialTimeoutMs = 120_000, localSubgraphs = [] } = options;
  let current: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let lastProblem = '';
  let stopped = false;

  // Composition takes ~100 ms of CPU: a poll that finds the same subgraph SDL reuses the last outcome.
  let lastComposition: { inputs: string; outcome: ReturnType<typeof composeSubgraphs> } | null = null;
  const load = async (): Promise<string> => {
    if (source.kind === 'file') return readFile(source.path, 'utf8');
    const sdls = await Promise.all(source.subgraphs.map(async (s) => fetchSubgraphSdl(s, (await source.headers?.(s.name)) ?? {})));
    const subgraphs = [...sdls, ...localSubgraphs];
    const inputs = JSON.stringify(subgraphs.map(({ name, url, sdl }) => [name, url, sdl]));
    if (lastComposition?.inputs !== inputs) lastComposition = { inputs, outcome: composeSubgraphs(subgraphs) };
    const composed = lastComposition.outcome;
    if (!composed.ok) throw new Error(composed.report);
    return composed.supergraphSdl;
  };

  const accept = (sdl: string) => {
    // Building the API schema throws for a file that is not a supergraph: it must not become `current`
    // (a first file is not checked against anything, and every later check would fail against it).
    if (current === null) apiSchemaOf(sdl);
    const breaking = current === null ? '' : describeBreakingChanges(current, sdl);
    onSupergraph(sdl);
    if (breaking) log('warn', `the new supergraph has breaking changes:\n${breaking}`);
    current = sdl;
    lastProblem = '';
  };

  return {
    current: () => current,
    async initialize({ update }) {
      const deadline = Date.now() + initialTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        try {
          accept(await load());
          break;
        } catch (error) {
          const message = (error as Error).message;
          if (Date.now() > deadline) throw new Error(`no supergraph after ${initialTimeoutMs / 1000}s: ${message}`, { cause: error });
          if (message !== lastProblem) log(attempt === 1 ? 'info' : 'warn', `waiting for the supergraph: ${message}`);
          lastProblem = message;
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
        }
      }
      const poll = async () => {
        try {
          const sdl = await load();
          // Cleaned up while loading: the gateway is stopping, take nothing and schedule nothing.
          if (stopped) return;
          if (sdl !== current) {
            accept(sdl);
            update(gatewayCompatibleSdl(sdl));
            log('info', 'supergraph updated');
          }
        } catch (error) {
          const message = (error as Error).message;
          if (message !== lastProblem) log('error', `supergraph not updated, the last good one stays in service: ${message}`);
          lastProblem = message;
        }
        if (stopped) return;
        timer = setTimeout(() => void poll(), source.pollIntervalMs);
        timer.unref();
      };
      // `poll` catches every error itself (the last good supergraph stays in service), so nothing is lost by not awaiting it.
      timer = setTimeout(() => void poll(), source.pollIntervalMs);
      timer.unref();
      return {
        supergraphSdl: gatewayCompatibleSdl(current!),
        cleanup: async () => {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}
