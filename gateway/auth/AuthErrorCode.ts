/**
 * `extensions.code` values of the auth layer: public contract, the same vocabulary Apollo Router uses,
 * so clients written against a router handle ours unchanged.
 */
export const AuthErrorCode = {
  /** The request carried a token that is malformed, wrongly signed, expired, or for someone else. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The principal may not see this field (or the type it returns); the field is `null` at `path`. */
  UNAUTHORIZED_FIELD_OR_TYPE: 'UNAUTHORIZED_FIELD_OR_TYPE',
} as const;

export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];
