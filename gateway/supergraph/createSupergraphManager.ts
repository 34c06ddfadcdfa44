import { readFile } from 'node:fs/promises';
import type { SupergraphManager } from '@apollo/gateway';
import { composeSubgraphs, type SubgraphSdl } from '../../core/apollo/index.js';
import { buildSupergraphSnapshot, type SupergraphSnapshot } from './buildSupergraphSnapshot.js';
import { describeBreakingChanges } from './describeBreakingChanges.js';
import { DEFAULT_MAX_SDL_BYTES, fetchSubgraphSdl, type SubgraphEndpoint } from './fetchSubgraphSdl.js';

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
  /**
   * Builds the snapshot of a new SDL, once per SDL. If it throws, the SDL is refused (logged) and the
   * previous snapshot stays in service.
   * @default (sdl) => buildSupergraphSnapshot(sdl)
   */
  build?: (supergraphSdl: string) => SupergraphSnapshot;
  /**
   * Receives every snapshot taken into service, before @apollo/gateway gets its SDL, with the one it
   * replaces (null for the first). If it throws, the snapshot is refused (logged) and the previous one
   * stays in service: it must change nothing before it can no longer throw.
   */
  onSupergraph: (snapshot: SupergraphSnapshot, previous: SupergraphSnapshot | null) => void;
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
  /**
   * Subgraphs published to the schema registry (`gateway/registry/`), composed with the configured ones
   * when composing from running subgraphs; one of the same name replaces the configured subgraph.
   * Read at every load. @default none
   */
  registered?: () => readonly SubgraphSdl[];
  /**
   * Longest SDL answer read from one subgraph, in bytes; a longer one is cut off and that load fails.
   * @default DEFAULT_MAX_SDL_BYTES (64 MiB, as `MESH_SUBGRAPH_MAX_RESPONSE_BYTES`)
   */
  maxSdlBytes?: number;
}

/** The manager @apollo/gateway gets, with what the gateway and the schema registry read from it. */
export interface GatewaySupergraphManager extends SupergraphManager {
  /** The snapshot in service, null before the first. */
  current(): SupergraphSnapshot | null;
  /** The configured subgraphs' SDL as last fetched (empty with a supergraph file). */
  fetchedSubgraphs(): readonly SubgraphSdl[];
  /** Before the first supergraph: why the last attempt failed (e.g. a subgraph unreachable); null otherwise. */
  waitingFor(): string | null;
  /**
   * Loads now instead of at the next poll and settles once a changed supergraph is in service; rejects
   * with the reason when it was refused (the last good one stays). Before `initialize`: does nothing.
   */
  refresh(): Promise<void>;
}

/** How long the first supergraph may keep failing the same way before it is a warning. */
const LONG_WAIT_MS = 5_000;

/**
 * A `SupergraphManager` for @apollo/gateway that loads the first supergraph (retrying while subgraphs
 * come up), then polls. A change that does not compose is refused with its report and the last good
 * supergraph stays in service; breaking changes are reported as warnings.
 */
export function createSupergraphManager(options: SupergraphManagerOptions): GatewaySupergraphManager {
  const {
    source,
    onSupergraph,
    log,
    initialTimeoutMs = 120_000,
    localSubgraphs = [],
    build = (sdl: string) => buildSupergraphSnapshot(sdl),
    registered = () => [],
    maxSdlBytes = DEFAULT_MAX_SDL_BYTES,
  } = options;
  let current: SupergraphSnapshot | null = null;
  let timer: NodeJS.Timeout | undefined;
  let lastProblem = '';
  let stopped = false;

  // Composition takes ~100 ms of CPU: a poll that finds the same subgraph SDL reuses the last outcome.
  let lastComposition: { inputs: string; outcome: ReturnType<typeof composeSubgraphs> } | null = null;
  let fetched: readonly SubgraphSdl[] = [];
  // Set by `initialize`: one load-and-update at a time, whether from the poll timer or `refresh()`.
  let loadNow: (() => Promise<void>) | null = null;
  let loading: Promise<void> = Promise.resolve();
  const load = async (): Promise<string> => {
    if (source.kind === 'file') return readFile(source.path, 'utf8');
    const published = registered();
    const sdls = await Promise.all(source.subgraphs.map(async (s) => fetchSubgraphSdl(s, (await source.headers?.(s.name)) ?? {}, undefined, maxSdlBytes)));
    fetched = sdls;
    const subgraphs = [...sdls.filter((s) => !published.some((p) => p.name === s.name)), ...published, ...localSubgraphs];
    const inputs = JSON.stringify(subgraphs.map(({ name, url, sdl }) => [name, url, sdl]));
    if (lastComposition?.inputs !== inputs) lastComposition = { inputs, outcome: composeSubgraphs(subgraphs) };
    const composed = lastComposition.outcome;
    if (!composed.ok) throw new Error(composed.report);
    return composed.supergraphSdl;
  };

  // Building throws for a file that is not a supergraph: it must not become `current` (a first file is
  // not checked against anything, and every later check would fail against it).
  // The last SDL refused: polling the same bad file again must not pay for building it every interval.
  let refused: string | null = null;
  const accept = (sdl: string): SupergraphSnapshot => {
    if (sdl === refused) throw new Error(lastProblem || 'the supergraph was refused');
    let next: SupergraphSnapshot;
    let breaking: string;
    try {
      next = build(sdl);
      breaking = current === null ? '' : describeBreakingChanges(current.apiSchema, next.apiSchema);
      onSupergraph(next, current);
    } catch (error) {
      refused = sdl;
      throw error;
    }
    if (breaking) log('warn', `the new supergraph has breaking changes:\n${breaking}`);
    current = next;
    lastProblem = '';
    return next;
  };

  return {
    current: () => current,
    fetchedSubgraphs: () => fetched,
    waitingFor: () => (current === null && lastProblem ? lastProblem : null),
    refresh: async () => {
      if (loadNow && !stopped) await loadNow();
    },
    async initialize({ update }) {
      const deadline = Date.now() + initialTimeoutMs;
      const startedWaiting = Date.now();
      let warnedLongWait = false;
      for (let attempt = 1; ; attempt++) {
        try {
          accept(await load());
          break;
        } catch (error) {
          const message = (error as Error).message;
          if (Date.now() > deadline) throw new Error(`no supergraph after ${initialTimeoutMs / 1000}s: ${message}`, { cause: error });
          // Subgraphs starting beside the gateway make the first attempts fail: a note; still failing after
          // a few seconds (a subgraph down), a warning, once, naming it: until then the gateway serves nothing.
          const waited = Date.now() - startedWaiting;
          if (message !== lastProblem) log(attempt === 1 ? 'info' : 'warn', `waiting for the supergraph: ${message}`);
          else if (!warnedLongWait && waited > LONG_WAIT_MS) {
            warnedLongWait = true;
            log('warn', `still no supergraph after ${Math.round(waited / 1000)} s, the gateway answers 503 until then: ${message}`);
          }
          lastProblem = message;
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
        }
      }
      const apply = async () => {
        const sdl = await load();
        // Cleaned up while loading: the gateway is stopping, take nothing.
        if (stopped) return;
        if (sdl !== current?.sdl) {
          update(accept(sdl).gatewaySdl);
          log('info', 'supergraph updated');
        }
      };
      loadNow = () => {
        const run = loading.then(apply);
        loading = run.catch(() => {});
        return run;
      };
      const poll = async () => {
        try {
          await loadNow!();
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
        supergraphSdl: current!.gatewaySdl,
        cleanup: async () => {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}
