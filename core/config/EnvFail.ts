/** Reports a bad environment value: throws, naming the variable, the value and what was expected. */
export type EnvFail = (variable: string, value: unknown, why: string) => never;

/** The `EnvFail` of every config reader: `invalid NAME="value": why`, so a message always names the variable. */
export const envFail: EnvFail = (variable, value, why) => {
  throw new Error(`invalid ${variable}=${JSON.stringify(value)}: ${why}`);
};
