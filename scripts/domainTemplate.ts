/**
 * The files `npm run new-domain -- <name>` writes: a small but complete data product (one fact type, one
 * rollup, a history query, a live bucket subscription, a descriptor, sample facts and a jest test) that
 * a domain team then reshapes. Every identifier derives from the domain name, e.g. `returns`:
 * `ReturnsRecorded` facts, `returnsHistory`, `returnsBucketUpdated`, `ReturnsBucket`.
 */

import { CLASSIFICATION_SPEC_URL } from '../core/classification/ClassificationLevel.js';

/** What the template needs to know. */
export interface DomainTemplateInput {
  /** The domain name (lowercase letters and digits). */
  name: string;
  /** Owning team, shown in the catalog. */
  owner: string;
  /** The owning team's contact (an e-mail address). */
  contact: string;
}

/** A file to write, relative to the repository root. */
export interface TemplateFile {
  path: string;
  content: string;
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

/** A TypeScript string literal in the repository's style (single quotes). */
const tsString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** The repository's Prettier line width (`.prettierrc`). */
const PRINT_WIDTH = 160;

/**
 * `key: value` as Prettier prints an object property indented by `indent` spaces: on one line when it
 * fits, else the value on the next line, indented two more (a long domain name makes it longer), so a
 * scaffolded file passes `npm run lint` whatever the name.
 */
function fittedProperty(key: string, value: string, indent: number): string {
  return indent + key.length + 2 + value.length + 1 <= PRINT_WIDTH ? `${key}: ${value}` : `${key}:\n${' '.repeat(indent + 2)}${value}`;
}

/** The files of a new domain, relative to the repository root. */
export function domainTemplate(input: DomainTemplateInput): TemplateFile[] {
  const { name, owner, contact } = input;
  const P = pascal(name);
  return [
    { path: `schema/${name}.graphql`, content: schemaFile(name, P) },
    { path: `subgraphs/${name}/${name}Product.ts`, content: productFile(name, P, owner, contact) },
    { path: `subgraphs/${name}/${name}Resolvers.ts`, content: resolversFile(name) },
    { path: `subgraphs/${name}/${name}SampleFacts.ts`, content: sampleFactsFile(name, P) },
    { path: `test/subgraphs/${name}.test.ts`, content: testFile(name) },
  ];
}

function schemaFile(name: string, P: string): string {
  return `# @classification(level: PUBLIC | INTERNAL | CONFIDENTIAL | PII | RESTRICTED) classifies a field (or a type)
# for the catalog and the data contract; CONFIDENTIAL, PII and RESTRICTED fields also need @requiresScopes
# (or @authenticated / @policy), or the subgraph refuses to start. See README "Adding a domain".
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@composeDirective"])
  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classification"])
  @composeDirective(name: "@classification")

"${P} facts in one bucket."
type ${P}Bucket {
  start: DateTime!
  end: DateTime!
  "False when the range cuts this bucket: its values cover only the part inside the range."
  complete: Boolean!
  "Facts recorded."
  count: Int!
  "Sum of their amounts."
  amount: Float! @classification(level: INTERNAL)
  "Null unless \`compareTo\` is given."
  comparison: ${P}Comparison
  "Null unless \`rolling\` is given."
  rolling: ${P}Window
}

type ${P}Totals {
  count: Int!
  amount: Float!
  "Null unless \`compareTo\` is given."
  comparison: ${P}Comparison
}

"A bucket (or the totals) against the comparison period."
type ${P}Comparison {
  start: DateTime!
  end: DateTime!
  count: MeasureChange!
  amount: MeasureChange!
}

"Moving sums over the rolling window ending at a bucket, and their averages per bucket."
type ${P}Window {
  buckets: Int!
  count: Int!
  amount: Float!
  average: ${P}WindowAverage!
}

type ${P}WindowAverage {
  count: Float!
  amount: Float!
}

type ${P}History {
  granularity: Granularity!
  timeZone: String!
  "Zero-filled buckets over the whole range."
  buckets: [${P}Bucket!]!
  total: ${P}Totals!
  "Event time of the newest fact included: how fresh this answer is."
  asOf: DateTime
}

type ${P}BucketEvent {
  "Pass as \`from\` to resume after this event."
  cursor: String!
  granularity: Granularity!
  bucket: ${P}Bucket!
  itemId: ID!
  "True when a late fact revised a bucket already reported."
  revision: Boolean!
}

type Query {
  "${P} facts over time."
  ${name}History(
    "The time range: from inclusive, to exclusive."
    range: TimeRangeInput!
    "The bucket size."
    granularity: Granularity!
    "IANA time zone the buckets are cut in (default UTC)."
    timeZone: String
    "Compare each bucket and the totals with the previous period or the same period last year."
    compareTo: ComparePeriod
    "Add moving sums and averages over this many buckets."
    rolling: RollingWindowInput
  ): ${P}History @authenticated
}

type Subscription {
  "The bucket (at the given granularity) each new ${name} fact lands in."
  ${name}BucketUpdated(granularity: Granularity! = MINUTE, from: String): ${P}BucketEvent @authenticated
}
`;
}

function productFile(name: string, P: string, owner: string, contact: string): string {
  return `import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../kit/essentials.js';
import { ${name}Resolvers } from './${name}Resolvers.js';

/** ${P} facts: what producers post to \`POST /events\` (CloudEvents 1.0, \`type\` = the key). */
export const ${name}Facts = {
  ${P}Recorded: z.object({
    itemId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
    amount: z.number().min(0, 'must not be negative').max(1_000_000_000, 'must be at most 1000000000'),
  }),
};

/** The ${name} data product (scaffolded by \`npm run new-domain\`: reshape facts, rollups and SDL to the domain). */
export function ${name}Product(typeDefs: DocumentNode) {
  return defineDataProduct({
    typeDefs,
    descriptor: {
      id: '${name}.activity',
      name: '${P} activity',
      domain: '${name}',
      version: '0.1.0',
      status: 'draft',
      description: {
        purpose: '${P} facts over time, for dashboards.',
        ${fittedProperty('usage', `'Query ${name}History with a range and granularity; subscribe to ${name}BucketUpdated for live buckets.'`, 8)},
      },
      owner: { team: ${tsString(owner)}, contact: ${tsString(contact)} },
      slos: { freshnessSeconds: 300, availability: 0.99, retentionDays: 365 },
      // Field classification and access come from the SDL (@classification, @requiresScopes): not typed here.
      tags: ['${name}'],
    },
    facts: ${name}Facts,
    rollups: {
      activity: {
        dimensions: ['item_id'],
        measures: { count: 'count', amount: 'sum' },
        contributions: {
          ${P}Recorded: (fact) => ({ dims: { item_id: fact.itemId }, values: { count: 1, amount: fact.amount } }),
        },
      },
    },
    resolvers: ${name}Resolvers,
  });
}
`;
}

function resolversFile(name: string): string {
  return `import {
  DateTime,
  bucketEndOf,
  bucketStartOf,
  historyRequest,
  seriesObjects,
  type BucketUpdatedEvent,
  type BusMessage,
  type DataProductRuntime,
  type Granularity,
  type HistoryArguments,
} from '../kit/essentials.js';

/** GraphQL bucket fields from the rollup's measures. */
const values = (v: Record<string, number | null>) => ({ count: v.count ?? 0, amount: v.amount ?? 0 });

type BucketArguments = { granularity: Granularity; from?: string | null };

/** Resolvers of the ${name} subgraph. */
export function ${name}Resolvers(product: DataProductRuntime) {
  return {
    DateTime,
    Query: {
      ${name}History: async (_: unknown, args: HistoryArguments) => {
        const result = await product.history('activity', historyRequest(args));
        return { granularity: result.granularity, timeZone: result.timeZone, asOf: result.asOf, ...seriesObjects(result, values) };
      },
    },
    Subscription: {
      ${name}BucketUpdated: product.changeSubscription({
        source: (args: BucketArguments) => product.bucketUpdates('activity', [], args.from ?? undefined),
        event: (message: BusMessage<BucketUpdatedEvent>, args: BucketArguments) => bucketEvent(product, message, args),
      }),
    },
  };
}

/** The bucket at the subscription's granularity that now holds the changed minute, for the fact's item. */
async function bucketEvent(product: DataProductRuntime, message: BusMessage<BucketUpdatedEvent>, args: BucketArguments) {
  const minute = new Date(message.data.bucket);
  const start = bucketStartOf(minute, args.granularity);
  const end = bucketEndOf(minute, args.granularity);
  const itemId = message.data.dims.item_id;
  const result = await product.history('activity', { range: { from: start, to: end }, granularity: args.granularity, filter: { item_id: [itemId] } });
  const bucket = result.buckets[0] ?? { start, end, values: {} };
  return {
    cursor: message.cursor,
    granularity: args.granularity,
    bucket: { start: bucket.start, end: bucket.end, ...values(bucket.values) },
    itemId,
    revision: message.data.revision,
  };
}
`;
}

function sampleFactsFile(name: string, P: string): string {
  return `import type { OutgoingCloudEvent } from '../kit/essentials.js';

const HOUR = 3_600_000;

/**
 * Sample facts \`npm start\` posts to this domain after seeding the demo (subgraphs/domains.ts
 * \`sampleFacts\`): one per hour of the last day, for five items. Ids derive from the hour, so posting
 * again on the next start only adds the new hours (the rest are duplicates, which the kit ignores).
 */
export function ${name}SampleFacts(now: Date): OutgoingCloudEvent[] {
  const lastHour = Math.floor(now.getTime() / HOUR) * HOUR;
  const facts: OutgoingCloudEvent[] = [];
  for (let h = 24; h >= 1; h--) {
    const time = lastHour - h * HOUR;
    const index = time / HOUR;
    facts.push({
      specversion: '1.0',
      id: \`sample-${name}-\${index}\`,
      source: 'urn:mesh:sample:${name}',
      type: '${P}Recorded',
      time: new Date(time).toISOString(),
      data: { itemId: \`item-\${index % 5}\`, amount: (index % 7) + 1 },
    });
  }
  return facts;
}
`;
}

function testFile(name: string): string {
  return `/** The ${name} data product through its own HTTP and websocket interfaces (scaffolded by \`npm run new-domain\`). */
import { nextValue, waitFor } from '../support/asyncWait.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { ${name}SampleFacts } from '../../subgraphs/${name}/${name}SampleFacts.js';

describe('${name} subgraph', () => {
  let subgraph: TestSubgraph;
  beforeAll(async () => {
    subgraph = await startTestSubgraph('${name}');
  });
  afterAll(() => subgraph.close());

  it('should sum the facts it accepts into its history', async () => {
    const facts = ${name}SampleFacts(new Date());
    const posted = await subgraph.postEvents(facts);
    expect(posted).toMatchObject({ status: 200, body: { applied: facts.length } });

    const range = { from: new Date(Date.parse(facts[0].time) - 86_400_000).toISOString(), to: new Date().toISOString() };
    const { data, errors } = await subgraph.graphql(
      'query ($range: TimeRangeInput!) { ${name}History(range: $range, granularity: DAY) { total { count amount } asOf } }',
      { range },
    );

    expect(errors).toBeUndefined();
    const amount = facts.reduce((sum, fact) => sum + (fact.data as { amount: number }).amount, 0);
    expect(data.${name}History).toEqual({ total: { count: facts.length, amount }, asOf: facts.at(-1)!.time });
  });

  it('should refuse a fact that does not match its schema, naming the field', async () => {
    const [fact] = ${name}SampleFacts(new Date());
    const posted = await subgraph.postEvents({ ...fact, id: 'bad-1', data: { itemId: '', amount: -1 } });

    expect(posted.status).toBe(400);
    expect(JSON.stringify(posted.body)).toContain('itemId');
  });

  it('should push the bucket a new fact lands in to a live subscription', async () => {
    const events = subgraph.subscribe('subscription { ${name}BucketUpdated(granularity: HOUR) { itemId bucket { count amount } } }');
    try {
      // The subscription is live once the subgraph holds its bus subscription.
      await waitFor(() => (subgraph.runtime.bus as unknown as { subscribers: Set<unknown> }).subscribers.size === 1, 'the bus subscription');
      const [fact] = ${name}SampleFacts(new Date());
      await subgraph.postEvents({ ...fact, id: 'live-1', time: new Date().toISOString(), data: { itemId: 'live', amount: 2 } });

      expect(await nextValue(events, 'the bucket update')).toEqual({
        data: { ${name}BucketUpdated: { itemId: 'live', bucket: { count: 1, amount: 2 } } },
      });
    } finally {
      await events.return?.();
    }
  });
});
`;
}
