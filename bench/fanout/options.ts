/**
 * Command-line flags of `npm run bench:fanout` and the scenario list they select (README.md
 * "Subscription fan-out benchmark").
 */
import { parseArgs } from 'node:util';
import type { ScenarioKind } from './protocol.js';

export interface Scenario {
  kind: ScenarioKind;
  clients: number;
  /** Facts per second. */
  rate: number;
}

export interface FanoutOptions {
  scenarios: Scenario[];
  /** Seconds of facts per scenario. */
  durationS: number;
  /** Seconds to wait for late events after the last fact. */
  drainS: number;
  /** Seconds after the clients left before the gateway's RSS and heap are read again. */
  settleS: number;
  /** Seconds of warm-up facts at most, until every client has had an event. */
  warmupS: number;
  /** Load generator processes per scenario; 0 picks one per 5,000 clients. */
  generators: number;
  /** Minutes after which no new scenario starts. */
  budgetMin: number;
  /** Node flags for the gateway process alone (e.g. `--cpu-prof` to profile it). */
  gatewayNodeArgs: string[];
  /** Node flags for each of the four subgraph processes. */
  subgraphNodeArgs: string[];
  /**
   * After each scenario, make the gateway write a heap snapshot (which collects garbage first) and read
   * its heap again: what the clients really left behind, as against garbage not yet collected. The
   * snapshot pauses the gateway and grows its RSS, so the next scenario's figures suffer.
   */
  snapshotAfter: boolean;
  /**
   * Once the clients are connected, subscribed and idle (after the connected RSS and heap are read), make
   * the gateway write a heap snapshot and read its heap again: what idle clients hold, garbage collected.
   * The pause and the snapshot's memory fall into the measured facts' latency and the peak RSS.
   */
  snapshotConnected: boolean;
}

export const USAGE = `npm run bench:fanout -- [flags]
  --scenarios identical,named,slow   which scenarios (default all three)
  --clients 1000,5000,10000          client counts (slow uses the smallest)
  --rates 1,10,100                   facts per second (default 1,10,100 up to 1,000 clients, else 1,10;
                                     named and slow default to 10)
  --duration 15                      seconds of facts per scenario
  --drain 10                         seconds to wait for late events
  --settle 8                         seconds after the clients left before RSS and heap are read again
                                     (the gateway's leave reclaimer runs once closes stop for 5 s)
  --warmup 20                        seconds of warm-up at most
  --generators 0                     load generator processes (0: one per 5,000 clients and per 60,000 deliveries/s)
  --budget 10                        minutes after which no new scenario starts
  --gateway-node-args=--cpu-prof     node flags for the gateway process (space-separated)
  --subgraph-node-args=--cpu-prof    node flags for each subgraph process (space-separated)
  --snapshot-after                   heap snapshot of the gateway after each scenario (into --snapshot-dir),
                                     then its heap in use again (garbage collected)
  --snapshot-connected               heap snapshot of the gateway while the clients are connected and idle
                                     (before the measured facts, which it delays), then its heap in use again
  --snapshot-dir /tmp                where the gateway writes those snapshots`;

const list = (value: string | undefined, name: string): number[] | undefined => {
  if (value === undefined) return undefined;
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} takes positive integers separated by commas, got "${value}"\n${USAGE}`);
  return numbers;
};

const positive = (value: string, name: string, min = 1): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} takes a number of at least ${min}, got "${value}"\n${USAGE}`);
  return n;
};

export function fanoutOptions(argv: string[]): FanoutOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: 'identical,named,slow' },
      clients: { type: 'string' },
      rates: { type: 'string' },
      duration: { type: 'string', default: '15' },
      drain: { type: 'string', default: '10' },
      settle: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '20' },
      generators: { type: 'string', default: '0' },
      budget: { type: 'string', default: '10' },
      'gateway-node-args': { type: 'string', default: '' },
      'subgraph-node-args': { type: 'string', default: '' },
      'snapshot-after': { type: 'boolean', default: false },
      'snapshot-connected': { type: 'boolean', default: false },
      'snapshot-dir': { type: 'string', default: '/tmp' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const kinds = values.scenarios.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !['identical', 'named', 'slow'].includes(k));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}\n${USAGE}`);
  const sizes = list(values.clients, 'clients') ?? [1_000, 5_000, 10_000];
  const rates = list(values.rates, 'rates');
  const scenarios: Scenario[] = [];
  if (kinds.includes('identical'))
    for (const clients of sizes) for (const rate of rates ?? (clients <= 1_000 ? [1, 10, 100] : [1, 10])) scenarios.push({ kind: 'identical', clients, rate });
  if (kinds.includes('named'))
    for (const clients of values.clients ? sizes : [1_000, 10_000]) for (const rate of rates ?? [10]) scenarios.push({ kind: 'named', clients, rate });
  if (kinds.includes('slow')) for (const rate of rates ?? [10]) scenarios.push({ kind: 'slow', clients: Math.min(...sizes), rate });
  return {
    scenarios,
    durationS: positive(values.duration, 'duration'),
    drainS: positive(values.drain, 'drain', 0),
    settleS: positive(values.settle, 'settle', 0),
    warmupS: positive(values.warmup, 'warmup'),
    generators: positive(values.generators, 'generators', 0),
    budgetMin: positive(values.budget, 'budget'),
    gatewayNodeArgs: [
      ...values['gateway-node-args'].split(' ').filter(Boolean),
      ...(values['snapshot-after'] || values['snapshot-connected'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values['snapshot-dir']}`] : []),
    ],
    subgraphNodeArgs: values['subgraph-node-args'].split(' ').filter(Boolean),
    snapshotAfter: values['snapshot-after'],
    snapshotConnected: values['snapshot-connected'],
  };
}
