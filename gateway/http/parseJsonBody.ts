/** A request body that is not JSON, shaped as Express's JSON parser (body-parser) reports it to error handlers. */
export interface JsonBodyError extends Error {
  status: 400;
  type: 'entity.parse.failed';
}

const FIRST_NON_WHITESPACE = /^[ \t\n\r]*([^ \t\n\r]|$)/;

const bodyError = (message: string): JsonBodyError => Object.assign(new Error(message), { status: 400 as const, type: 'entity.parse.failed' as const });

/**
 * A UTF-8 JSON request body parsed as Express's JSON parser does in its default strict mode, so the lean
 * path (gateway/http/leanGraphqlPost.ts) and the Express route answer a body the same way: a leading
 * byte order mark dropped (the parser's decoder drops it), an empty body read as `{}`, a body that does
 * not start with `{` or `[` refused with the message `JSON.parse` gives for its first character, any
 * other syntax error with `JSON.parse`'s message.
 */
export function parseJsonBody(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  if (body[0] !== '{' && body[0] !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(body)?.[1];
    if (first !== '{' && first !== '[') throw strictViolation(body, first ?? '');
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw bodyError((error as Error).message);
  }
}

/** body-parser's message for a body that is JSON but not an object or array: `JSON.parse`'s for that character. */
function strictViolation(body: string, first: string): JsonBodyError {
  const index = first === '' ? -1 : body.indexOf(first);
  const partial = index === -1 ? '' : body.substring(0, index) + '#'.repeat(body.length - index);
  try {
    JSON.parse(partial);
    return bodyError('strict violation');
  } catch (error) {
    return bodyError((error as Error).message.replace(/#+/g, (placeholder) => body.substring(index, index + placeholder.length)));
  }
}
