import { ErrorCode } from './ErrorCode.js';

/** What a public code means on each transport. */
export interface CodeStatus {
  /** HTTP status when the error decides the response (GraphQL over HTTP: a refused request is a 4xx). */
  readonly http: number;
  /**
   * graphql-ws close code when the error ends a websocket connection: the protocol's own codes (4400 bad
   * request, 4401 unauthorized, 4403 forbidden, 4429 too many, 4500 internal) and RFC 6455's 1013
   * "try again later" for an outage.
   */
  readonly close: number;
  /** Whether the same request can succeed later without a change (a client or producer may retry). */
  readonly retry: boolean;
}

const bad = { http: 400, close: 4400, retry: false } as const;

/** The one table from a public code to its statuses. */
const STATUS: Record<ErrorCode, CodeStatus> = {
  BAD_REQUEST: bad,
  GRAPHQL_PARSE_FAILED: bad,
  GRAPHQL_VALIDATION_FAILED: bad,
  BAD_USER_INPUT: bad,
  OPERATION_RESOLUTION_FAILURE: bad,
  BAD_EVENT: bad,
  JSON_TOO_DEEP: bad,
  PAYLOAD_TOO_LARGE: { http: 413, close: 4400, retry: false },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, close: 4400, retry: false },
  NOT_ACCEPTABLE: { http: 406, close: 4400, retry: false },
  NOT_FOUND: { http: 404, close: 4400, retry: false },
  UNAUTHENTICATED: { http: 401, close: 4401, retry: false },
  FORBIDDEN: { http: 403, close: 4403, retry: false },
  UNAUTHORIZED_FIELD_OR_TYPE: { http: 403, close: 4403, retry: false },
  MAX_DEPTH_LIMIT: bad,
  MAX_ALIASES_LIMIT: bad,
  MAX_ROOT_FIELDS_LIMIT: bad,
  MAX_RECURSIVE_SELECTIONS_EXCEEDED: bad,
  COST_ESTIMATED_TOO_EXPENSIVE: bad,
  PERSISTED_QUERY_NOT_IN_LIST: bad,
  PERSISTED_QUERY_NOT_FOUND: bad,
  REQUEST_RATE_LIMITED: { http: 429, close: 4429, retry: true },
  MAX_SUBSCRIPTIONS_LIMIT: bad,
  RESULT_TOO_LARGE: bad,
  SQL_PARSE_FAILED: bad,
  SQL_NOT_ALLOWED: { http: 403, close: 4403, retry: false },
  FORBIDDEN_COLUMN: { http: 403, close: 4403, retry: false },
  SQL_EXECUTION_FAILED: bad,
  STATEMENT_TIMEOUT: bad,
  CURSOR_UNAVAILABLE: bad,
  EVENTS_MISSED: { http: 200, close: 4500, retry: false },
  FACT_NOT_FOUND: { http: 404, close: 4400, retry: false },
  EVENTS_REFUSED: bad,
  SCHEMA_REJECTED: { http: 422, close: 4400, retry: false },
  VERSION_CONFLICT: { http: 409, close: 4400, retry: true },
  DOWNSTREAM_SERVICE_ERROR: { http: 502, close: 1013, retry: true },
  GATEWAY_TIMEOUT: { http: 504, close: 1013, retry: true },
  CIRCUIT_BREAKER_OPEN: { http: 503, close: 1013, retry: true },
  SERVICE_UNAVAILABLE: { http: 503, close: 1013, retry: true },
  STORE_UNAVAILABLE: { http: 503, close: 1013, retry: true },
  INTERNAL_SERVER_ERROR: { http: 500, close: 4500, retry: false },
};

const UNKNOWN: CodeStatus = STATUS.INTERNAL_SERVER_ERROR;

/** Whether `code` is one of the mesh's public codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(STATUS, code);
}

/** The statuses of a public code; an unknown code is treated as `INTERNAL_SERVER_ERROR`. */
export function statusOf(code: string): CodeStatus {
  return isErrorCode(code) ? STATUS[code] : UNKNOWN;
}

/** The HTTP status of a public code (500 for an unknown one). */
export function httpStatusOf(code: string): number {
  return statusOf(code).http;
}

/** The graphql-ws close code of a public code (4500 for an unknown one). */
export function closeCodeOf(code: string): number {
  return statusOf(code).close;
}
