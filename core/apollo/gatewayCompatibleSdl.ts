/**
 * @apollo/gateway refuses a supergraph whose `@link` marks a feature `for: SECURITY` that it does not
 * implement (the auth directives), with no option to proceed. We implement them ourselves, so we drop the
 * `for: SECURITY` argument from those links before handing the SDL to the gateway; the directive usages
 * stay in the SDL and our auth layer reads them from the original supergraph.
 */
export function gatewayCompatibleSdl(supergraphSdl: string): string {
  return supergraphSdl.replace(/(@link\(\s*url:\s*"[^"]+"[^)]*?),?\s*for:\s*SECURITY\s*\)/g, '$1)');
}
