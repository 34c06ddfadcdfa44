/**
 * Field-level authorization through the real gateway and the four real subgraphs: every operation of
 * the table × every principal. For each, the response has exactly the UNAUTHORIZED_FIELD_OR_TYPE errors
 * the table implies (paths with aliases and list indices), `null` at those paths, data everywhere else,
 * and no subgraph received a field the principal may not see.
 */
import { CASES, NEED_FIELDS, REFUSED_CASES, type FieldAuthCase, type Need } from './fieldAuthCases.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';

type Who = 'anonymous' | 'no scopes' | 'orders:read' | 'finance:read' | 'pii:read' | 'finance:read + pii:read';
const PRINCIPALS: Record<Who, string[] | null> = {
  anonymous: null,
  'no scopes': [],
  'orders:read': ['orders:read'],
  'finance:read': ['finance:read'],
  'pii:read': ['pii:read'],
  'finance:read + pii:read': ['finance:read', 'pii:read'],
};

function satisfies(who: Who, need: Need): boolean {
  const scopes = PRINCIPALS[who];
  if (scopes === null) return false;
  if (need === 'auth') return true;
  return scopes.includes(need === 'finance' ? 'finance:read' : 'pii:read');
}

const isPrefix = (prefix: string[], path: string[]) => prefix.length < path.length && prefix.every((s, i) => s === path[i]);
/** `pattern` (with `*` for any list index) covers `path` itself or one of its ancestors. */
const covers = (pattern: string[], path: string[]) => pattern.length <= path.length && pattern.every((s, i) => s === '*' || s === path[i]);

/** Concrete paths of a pattern in the data; none where an ancestor is null (nothing is resolved under it). */
function expand(data: unknown, pattern: string[]): string[][] {
  const out: string[][] = [];
  const walk = (value: unknown, i: number, path: string[]) => {
    if (i === pattern.length) return void out.push(path);
    if (value === null || value === undefined) return;
    if (pattern[i] === '*') {
      if (!Array.isArray(value)) throw new Error(`expected a list at ${path.join('.')}`);
      value.forEach((item, index) => walk(item, i + 1, [...path, String(index)]));
    } else {
      walk((value as Record<string, unknown>)[pattern[i]], i + 1, [...path, pattern[i]]);
    }
  };
  walk(data, 0, []);
  return out;
}

const valueAt = (data: unknown, path: string[]) => path.reduce<unknown>((v, k) => (v == null ? undefined : (v as Record<string, unknown>)[k]), data);

/** The paths that must be denied for `who`: governed paths not satisfied whose ancestors are not denied. */
function expectedDenials(c: FieldAuthCase, who: Who, data: unknown): { denied: string[][]; visible: string[][] } {
  const patterns = Object.entries(c.governed).map(([p, need]) => ({ path: p.split('.'), need }));
  const deniedPatterns = patterns.filter((p) => !satisfies(who, p.need));
  const top = deniedPatterns.filter((p) => !deniedPatterns.some((q) => isPrefix(q.path, p.path)));
  const visible = patterns.filter((p) => satisfies(who, p.need) && !deniedPatterns.some((q) => isPrefix(q.path, p.path)));
  return { denied: top.flatMap((p) => expand(data, p.path)), visible: visible.flatMap((p) => expand(data, p.path)) };
}

let mesh: AuthMesh;
const tokens = {} as Record<Who, string | undefined>;
beforeAll(async () => {
  mesh = await startAuthMesh();
  for (const [who, scopes] of Object.entries(PRINCIPALS) as Array<[Who, string[] | null]>) {
    tokens[who] = scopes === null ? undefined : await mesh.token({ scopes, sub: who.replace(/\W+/g, '-') });
  }
});
afterAll(() => mesh?.close());

const variablesOf = (c: FieldAuthCase) => ({
  ...(c.query.includes('$r') ? { r: mesh.story.range } : {}),
  ...(c.query.includes('$id') ? { id: 'o1' } : {}),
});

const table = CASES.flatMap((c) => (Object.keys(PRINCIPALS) as Who[]).map((who) => [who, c.name, c] as const));

describe('field-level authorization, operation × principal', () => {
  it.each(table)('should give %s exactly what it may see of "%s"', async (who, _name, c) => {
    mesh.clearReceived();
    const { status, body } = await mesh.query(c.query, { token: tokens[who], variables: variablesOf(c), operationName: c.operationName });
    expect(status).toBe(200);
    const errors: Array<{ path?: Array<string | number>; extensions?: { code?: string } }> = body.errors ?? [];
    expect(errors.filter((e) => e.extensions?.code !== 'UNAUTHORIZED_FIELD_OR_TYPE')).toEqual([]);
    const { denied, visible } = expectedDenials(c, who, body.data);
    const actual = errors.map((e) => (e.path ?? []).map(String).join('.')).sort();
    expect(actual).toEqual(denied.map((p) => p.join('.')).sort());
    for (const path of denied) expect(valueAt(body.data, path)).toBeNull();
    for (const path of visible) expect(valueAt(body.data, path)).not.toBeUndefined();
    for (const [path, value] of Object.entries(c.values ?? {})) {
      const segments = path.split('.');
      const hidden = Object.entries(c.governed).some(([p, need]) => !satisfies(who, need) && covers(p.split('.'), segments));
      if (!hidden) expect(valueAt(body.data, segments)).toEqual(value);
    }

    // What reached the subgraphs: never a field the principal may not see.
    const received = mesh.receivedFieldNames();
    for (const need of ['auth', 'finance', 'pii'] as Need[]) {
      if (satisfies(who, need)) continue;
      expect(NEED_FIELDS[need].filter((f) => received.has(f))).toEqual([]);
    }
    // ...while a principal who may see them does get them fetched (the recording works).
    const selectsFinance = Object.values(c.governed).includes('finance');
    if (selectsFinance && satisfies(who, 'finance')) expect(NEED_FIELDS.finance.some((f) => received.has(f))).toBe(true);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('should refuse an expired token with 401 before anything runs: "%s"', async (_name, c) => {
    const expired = await mesh.token({ scopes: ['finance:read', 'pii:read'], ttlSeconds: -60 });
    mesh.clearReceived();
    const { status, body } = await mesh.query(c.query, { token: expired, variables: variablesOf(c), operationName: c.operationName });
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Unauthenticated: the token has expired.', extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(mesh.receivedFieldNames().size).toBe(0);
  });
});

describe('requests whose operation cannot be resolved (the operationName "" bypass)', () => {
  const refusals = REFUSED_CASES.flatMap((c) => (Object.keys(PRINCIPALS) as Who[]).map((who) => [c.name, who, c] as const));
  const expectRefused = (status: number, body: any) => {
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })]);
    expect(JSON.stringify(body)).not.toMatch(/Invalid non-string|alice@|\b30\b|\b270\b/);
  };

  it.each(refusals)('should refuse "%s" for %s over POST with 400, no subgraph call, and an audit line', async (_name, who, c) => {
    mesh.clearReceived();
    mesh.audit.length = 0;
    const variables = c.query.includes('$r') ? { r: mesh.story.range } : undefined;
    const { status, body } = await mesh.query(c.query, { token: tokens[who], variables, operationName: c.operationName });
    expectRefused(status, body);
    expect(mesh.receivedFieldNames().size).toBe(0);
    expect(mesh.audit).toEqual([
      expect.objectContaining({ decision: 'refused', operationName: c.operationName ?? null, sub: PRINCIPALS[who] === null ? null : who.replace(/\W+/g, '-') }),
    ]);
  });

  it.each(REFUSED_CASES.map((c) => [c.name, c] as const))('should refuse "%s" over GET the same way', async (_name, c) => {
    mesh.clearReceived();
    const url = new URL(mesh.gateway.url);
    url.searchParams.set('query', c.query);
    if (c.operationName !== undefined) url.searchParams.set('operationName', c.operationName);
    if (c.query.includes('$r')) url.searchParams.set('variables', JSON.stringify({ r: mesh.story.range }));
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${tokens['orders:read']}` } });
    expectRefused(response.status, await response.json());
    expect(mesh.receivedFieldNames().size).toBe(0);
  });

  it.each(REFUSED_CASES.map((c) => [c.name, c] as const))('should refuse "%s" over the websocket without a subgraph call', async (_name, c) => {
    mesh.clearReceived();
    const client = mesh.wsClient(tokens['orders:read']);
    try {
      const variables = c.query.includes('$r') ? { r: mesh.story.range } : undefined;
      const outcome = await client
        .iterate({ query: c.query, operationName: c.operationName, variables })
        .next()
        .then(
          (step) => ({ step }),
          (error: unknown) => ({ error }),
        );
      // graphql-ws refuses it itself (an `error` message), or the pipeline answers with the coded error.
      if ('step' in outcome) {
        expect(outcome.step.value?.data ?? undefined).toBeUndefined();
        expect(outcome.step.value?.errors).toEqual([
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_RESOLUTION_FAILURE' }) }),
        ]);
      } else {
        expect(JSON.stringify(outcome.error)).toMatch(/Unable to identify operation|OPERATION_RESOLUTION_FAILURE/);
      }
      expect(mesh.receivedFieldNames().size).toBe(0);
    } finally {
      await client.dispose();
    }
  });
});
