/**
 * The token of an `Authorization: Bearer <token>` header value: `undefined` when there is no header (or it
 * is blank), `null` when there is one that is not a bearer token.
 */
export function bearerTokenOf(header: string | null | undefined): string | null | undefined {
  if (header === undefined || header === null || header.trim() === '') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header.trim())?.[1] ?? null;
}
