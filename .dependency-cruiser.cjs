/**
 * The layering rules of docs/architecture.md, checked by `npm run lint` (dependency-cruiser).
 * Type-only imports count (`tsPreCompilationDeps`): a cycle through types still ties modules together.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const PRODUCT = '^(core|gateway|subgraphs|simulator|scripts)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a cycle means two modules are one concept split in two files.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'gateway-not-to-subgraphs',
      severity: 'error',
      comment: 'The gateway and the subgraphs are deployed apart and talk over HTTP/websockets only; what both need lives in core/.',
      from: { path: '^gateway/' },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'subgraphs-not-to-gateway',
      severity: 'error',
      comment: 'The subgraphs never import the gateway; what both need lives in core/.',
      from: { path: '^subgraphs/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'core-imports-no-layer-above',
      severity: 'error',
      comment: 'core/ is shared by the gateway and the subgraphs, so it imports neither (nor the simulator, scripts or tests).',
      from: { path: '^core/' },
      to: { path: '^(gateway|subgraphs|simulator|scripts|test|bench)/' },
    },
    {
      name: 'simulator-is-a-plain-producer',
      severity: 'error',
      comment: 'The simulator talks to the mesh over HTTP like any producer; it imports neither the gateway nor the kit.',
      from: { path: '^simulator/' },
      to: { path: '^(gateway|subgraphs)/' },
    },
    {
      name: 'product-not-to-tests',
      severity: 'error',
      comment: 'Product code never imports test helpers.',
      from: { path: PRODUCT },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'domains-use-the-kit-index',
      severity: 'error',
      comment:
        'Domain code (and the subgraph entry points) use the kit through its public API, never a deep path: subgraphs/kit/index.ts, or its entry points essentials.ts (no optional transport client), postgres.ts, nats.ts, eventMeshBridge.ts.',
      from: { path: '^subgraphs/(?!kit/)' },
      to: { path: '^subgraphs/kit/', pathNot: '^subgraphs/kit/(index|essentials|postgres|nats|eventMeshBridge)\\.ts$' },
    },
  ],
  options: {
    includeOnly: '^(core|gateway|subgraphs|simulator|scripts|test|bench)/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
