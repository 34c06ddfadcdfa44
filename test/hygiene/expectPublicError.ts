/**
 * Asserts that an HTTP answer is a public error: the status, a JSON content type, the code, and nothing
 * a caller should not learn (stack frames, absolute paths, internal addresses, HTML).
 */
export interface PublicAnswer {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

/** Fetches and keeps the raw text, so the assertions see exactly what went over the wire. */
export async function fetchAnswer(url: string, init?: RequestInit): Promise<PublicAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // asserted below: the content must be JSON
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body };
}

/** What never belongs in a public answer. */
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat (?:[\w.<>]+ )?\(?(?:file:|node:|\/)/],
  ['a stacktrace extension', /stacktrace/i],
  ['an absolute path', /(?:\/(?:home|work|tmp|usr|var|srv|opt|app|root)\/)|[\w-]+\.(?:ts|js|mjs|cjs):\d+/],
  ['an internal address', /127\.0\.0\.1|localhost:\d|\[::1\]|ECONNREFUSED/],
  ['HTML', /<html|<!doctype|<pre>/i],
];

/** Asserts the answer leaks nothing; `allowed` lists addresses the test itself made public. */
export function expectNoLeak(text: string, allowed: string[] = []): void {
  let checked = text;
  for (const value of allowed) checked = checked.split(value).join('');
  for (const [what, pattern] of LEAKS) {
    if (pattern.test(checked)) throw new Error(`the answer leaks ${what}: ${text.slice(0, 2000)}`);
  }
}

/** Asserts a JSON error answer with this status and code (REST `error.code` or GraphQL `errors[].extensions.code`). */
export function expectPublicError(answer: PublicAnswer, status: number, code: string): void {
  const codes = [answer.body?.error?.code, ...((answer.body?.errors as any[]) ?? []).map((e) => e?.extensions?.code)].filter(Boolean);
  const got = { status: answer.status, json: /^application\/(?:graphql-response\+)?json/.test(answer.contentType), codes };
  expect(got).toEqual({ status, json: true, codes: expect.arrayContaining([code]) });
  expectNoLeak(answer.text);
}
