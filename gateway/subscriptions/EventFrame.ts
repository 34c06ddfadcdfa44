import type { ExecutionResult } from 'graphql';

/**
 * One payload of a subscription group, shared by every client of the group: the result, and its JSON
 * (the graphql-ws `next` payload) encoded once, on first use, however many clients receive it.
 */
export interface EventFrame {
  readonly result: ExecutionResult;
  /** `JSON.stringify(result)`: errors serialise through `GraphQLError#toJSON`, as graphql-ws does. */
  readonly json: string;
  /** UTF-8 length of `json`. */
  readonly bytes: number;
}

export function eventFrame(result: ExecutionResult): EventFrame {
  let json: string | undefined;
  let bytes: number | undefined;
  return {
    result,
    get json() {
      return (json ??= JSON.stringify(result));
    },
    get bytes() {
      return (bytes ??= Buffer.byteLength(this.json));
    },
  };
}
