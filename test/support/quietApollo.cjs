// Runs before every test file (jest.config.cjs `setupFiles`). Gateways built in-process by the tests must
// not report usage to Apollo's cloud: the product's entry points turn that telemetry off
// (scripts/lightApolloGateway.ts), but a test imports the gateway without them, and each
// `new ApolloGateway()` then probed ten cloud-resource detectors and its `stop()` waited on an export to
// the internet (about 0.4 s a gateway, offline). A test that is about telemetry sets its own environment.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
process.env.METADATA_SERVER_DETECTION ??= 'none';
