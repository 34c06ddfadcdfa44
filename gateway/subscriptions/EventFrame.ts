import type { ExecutionResult } from 'graphql';

/**
 * One payload of a subscription group, shared by every client of the group that asked for the same field
 * order: the result, and its JSON (the graphql-ws `next` payload) encoded once, on first use, however
 * many clients receive it.
 */
export interface EventFrame {
  readonly result: ExecutionResult;
  /** `JSON.stringify(result)`: errors serialise through `GraphQLError#toJSON`, as graphql-ws does. */
  readonly json: string;
  /** `json` in UTF-8, what a transport writes (the same buffer for every client: never mutate it). */
  readonly utf8: Buffer;
  /** UTF-8 length of `json`. */
  readonly bytes: number;
}

export function eventFrame(result: ExecutionResult): EventFrame {
  let json: string | undefined;
  let utf8: Buffer | undefined;
  return {
    result,
    get json() {
      return (json ??= JSON.stringify(result));
    },
    get utf8() {
      return (utf8 ??= Buffer.from(this.json));
    },
    get bytes() {
      return this.utf8.length;
    },
  };
}
