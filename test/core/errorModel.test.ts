import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { closeCodeOf, httpStatusOf, isErrorCode, statusOf } from '../../core/errors/statusOf.js';

/** `code → { http, close, retry }` as README.md "Errors and status codes" documents it. */
function readmeTable(): Map<string, { http: number; close: number; retry: boolean }> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Errors and status codes'));
  const rows = new Map<string, { http: number; close: number; retry: boolean }>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !cells[1]?.startsWith('`')) continue;
    for (const code of cells[1].match(/`([A-Z_]+)`/g) ?? [])
      rows.set(code.slice(1, -1), { http: Number(cells[2]), close: Number(cells[3]), retry: cells[4] === 'yes' });
  }
  return rows;
}

describe('the error model', () => {
  it('should keep every public code string that clients already handle', () => {
    const before = [
      'UNAUTHENTICATED',
      'UNAUTHORIZED_FIELD_OR_TYPE',
      'GRAPHQL_VALIDATION_FAILED',
      'BAD_USER_INPUT',
      'OPERATION_RESOLUTION_FAILURE',
      'BAD_REQUEST',
      'DOWNSTREAM_SERVICE_ERROR',
      'EVENTS_MISSED',
      'INTERNAL_SERVER_ERROR',
      'GRAPHQL_PARSE_FAILED',
      'MAX_DEPTH_LIMIT',
      'MAX_ALIASES_LIMIT',
      'MAX_ROOT_FIELDS_LIMIT',
      'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
      'COST_ESTIMATED_TOO_EXPENSIVE',
      'PERSISTED_QUERY_NOT_IN_LIST',
      'PERSISTED_QUERY_NOT_FOUND',
      'REQUEST_RATE_LIMITED',
      'PAYLOAD_TOO_LARGE',
      'MAX_SUBSCRIPTIONS_LIMIT',
      'NOT_FOUND',
      'UNSUPPORTED_MEDIA_TYPE',
      'BAD_EVENT',
      'RESULT_TOO_LARGE',
      'CURSOR_UNAVAILABLE',
      'FORBIDDEN',
      'JSON_TOO_DEEP',
      'STORE_UNAVAILABLE',
      'FACT_NOT_FOUND',
      'EVENTS_REFUSED',
      'SERVICE_UNAVAILABLE',
    ];
    for (const code of before) expect([code, (ErrorCode as Record<string, string>)[code]]).toEqual([code, code]);
  });

  it('should map codes to HTTP statuses and graphql-ws close codes in one place', () => {
    expect([httpStatusOf('UNAUTHENTICATED'), closeCodeOf('UNAUTHENTICATED')]).toEqual([401, 4401]);
    expect([httpStatusOf('FORBIDDEN'), closeCodeOf('FORBIDDEN')]).toEqual([403, 4403]);
    expect([httpStatusOf('REQUEST_RATE_LIMITED'), closeCodeOf('REQUEST_RATE_LIMITED')]).toEqual([429, 4429]);
    expect([httpStatusOf('PAYLOAD_TOO_LARGE'), httpStatusOf('UNSUPPORTED_MEDIA_TYPE'), httpStatusOf('NOT_FOUND')]).toEqual([413, 415, 404]);
    expect(httpStatusOf('BAD_EVENT')).toBe(400);
    expect([httpStatusOf('INTERNAL_SERVER_ERROR'), closeCodeOf('INTERNAL_SERVER_ERROR')]).toEqual([500, 4500]);
  });

  it('should answer a signing-key outage with 503 everywhere, and say retry', () => {
    expect(statusOf(ErrorCode.SERVICE_UNAVAILABLE)).toEqual({ http: 503, close: 1013, retry: true });
    expect(statusOf(ErrorCode.STORE_UNAVAILABLE).retry).toBe(true);
  });

  it('should treat an unknown code as an internal error', () => {
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(statusOf('NOPE')).toEqual(statusOf('INTERNAL_SERVER_ERROR'));
  });

  it('should document every code in the README table with the statuses the code decides', () => {
    const table = readmeTable();
    for (const code of Object.values(ErrorCode)) expect([code, table.get(code)]).toEqual([code, statusOf(code)]);
    expect([...table.keys()].filter((code) => !isErrorCode(code))).toEqual([]);
  });

  it('should make a coded GraphQL error whose details are public and cause is not', () => {
    const cause = new Error('db at 10.0.0.1:5432 refused');
    const error = new MeshError(ErrorCode.BAD_USER_INPUT, 'from is after to', { cause, details: { argument: 'from' } });
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.toJSON()).toEqual({ message: 'from is after to', extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
    expect([error.status, error.details, error.cause]).toEqual([400, { argument: 'from' }, cause]);
    expect(JSON.stringify(error.toJSON())).not.toContain('10.0.0.1');
  });

  it('should set the response status only when asked, with its headers', () => {
    expect(new MeshError(ErrorCode.UNAUTHENTICATED, 'no').extensions.http).toBeUndefined();
    const limited = new MeshError(ErrorCode.REQUEST_RATE_LIMITED, 'slow down', { http: { headers: { 'retry-after': '3' } } });
    expect(limited.extensions.http).toEqual({ status: 429, headers: new Map([['retry-after', '3']]) });
  });
});
