/**
 * The data product descriptor: what the catalog shows about a product. Modeled on the Open Data Product
 * Standard and ODCS (Bitol): identity, ownership, purpose, SLOs, output ports. Per-field classification and
 * access requirements are not declared here: the kit derives them from the SDL (`auth/fieldGovernance.ts`).
 */

import type { AuthRequirement } from '../../core/auth/AuthRequirement.js';
import type { ClassificationLevel } from '../../core/classification/ClassificationLevel.js';

/**
 * How sensitive a field is, declared in the SDL with `@classification(level:)` (never in the descriptor).
 * `confidential`, `pii` and `restricted` fields must carry auth directives in the SDL.
 */
export type Classification = ClassificationLevel;

/** Lifecycle of a data product. */
export type ProductStatus = 'draft' | 'active' | 'deprecated' | 'retired';

/** What the domain team declares. */
export interface DataProductDescriptor {
  /** Stable id, e.g. `orders.sales`. */
  id: string;
  name: string;
  /** The owning domain; also the subgraph name. Lowercase identifier. */
  domain: string;
  /** Semantic version of the product's contract. */
  version: string;
  status: ProductStatus;
  description: {
    purpose: string;
    limitations?: string;
    usage?: string;
  };
  owner: { team: string; contact: string };
  slos: {
    /** Data is at most this old (event time of the newest fact vs now) in normal operation. */
    freshnessSeconds: number;
    /** Target availability, e.g. 0.995. */
    availability: number;
    /** How long history is kept: facts and fine rollup grains older than this are deleted on a schedule. */
    retentionDays: number;
    /**
     * How long each rollup grain is kept, in days; `null` keeps it forever.
     * @default minute and hour rows: `retentionDays`; day rows: forever
     */
    rollupRetentionDays?: Partial<Record<'minute' | 'hour' | 'day', number | null>>;
    /** p99 latency target of history queries. */
    queryLatencyP99Ms?: number;
  };
  tags?: string[];
}

/** An access point of a product: the three access styles plus the event stream. */
export type OutputPort =
  | { kind: 'graphql-query'; url: string; fields: string[] }
  | { kind: 'graphql-subscription'; url: string; fields: string[] }
  | { kind: 'event-subject'; subject: string; description: string }
  | {
      kind: 'file';
      format: 'parquet' | 'csv';
      path: string;
      description: string;
      exportedAt: string;
      /** Rows in the file, and the hours it covers `[coveredFrom, coveredTo)` (null when empty), from its manifest. */
      rows?: number;
      coveredFrom?: string | null;
      coveredTo?: string | null;
    }
  | EventMeshPort
  | {
      /** Read-only SQL over the product's published views (`POST /sql` on the gateway). */
      kind: 'sql';
      url: string;
      /** The SQL dialect statements run in: `duckdb` or `postgresql`. */
      format: 'duckdb' | 'postgresql';
      /** The relations a statement may read: each rollup at each grain (`sales_day`), each keyed state. */
      fields: string[];
      description: string;
    };

/**
 * A topic or queue on an enterprise event-mesh broker (`subgraphs/kit/eventMesh/`): change events out,
 * facts in, dead letters. `withheld` lists the governed fields outbound events leave out.
 */
export interface EventMeshPort {
  kind: 'event-mesh';
  direction: 'out' | 'in' | 'dead-letter';
  /** The broker URL without credentials. */
  broker: string;
  /** The CloudEvents protocol binding (`cloudevents-mqtt-structured`, `cloudevents-amqp`, ...). */
  binding: string;
  topic: string;
  audience?: string | null;
  withheld?: string[];
}

/** The descriptor as served at `GET /descriptor`: the declaration plus live facts about the product. */
export interface ServedDescriptor extends DataProductDescriptor {
  /** Classification per field coordinate `Type.field`, from the SDL's `@classification`; fields not listed are `public`. */
  classification: Record<string, Classification>;
  /** What reading a field needs, per coordinate, from the SDL's auth directives; fields not listed are open. */
  access: Record<string, AuthRequirement>;
  outputPorts: OutputPort[];
  /** Newest applied event time (ISO), null before the first fact. */
  asOf: string | null;
  /** Seconds between `asOf` and now, and whether the freshness SLO holds. */
  freshness: { lagSeconds: number | null; withinSlo: boolean };
  /** Facts the product holds: stored and not retracted (the facts its history is computed from). */
  factCount: number;
  /** The retention SLO as enforced (see `subgraphs/kit/repair/productRetention.ts`). */
  retention: RetentionReport;
  /** Fact types the product accepts. */
  factTypes: string[];
}

/** Retention as the descriptor reports it. */
export interface RetentionReport {
  /** Days facts are kept (the SLO's `retentionDays`). */
  factDays: number;
  /** Days each rollup grain is kept; null: forever. */
  grainDays: Record<'minute' | 'hour' | 'day', number | null>;
  /** How often retention runs, in seconds; null when it is not scheduled. */
  intervalSeconds: number | null;
  /** The last run, null before the first. */
  lastRun: {
    at: string;
    /** What was deleted: everything before these instants (ISO), per kind; a grain kept forever is absent. */
    before: { facts: string; minute?: string; hour?: string; day?: string };
    deleted: { facts: number; deadLetters: number; minute: number; hour: number; day: number };
  } | null;
}
