/**
 * The event-mesh brokers for tests: Mosquitto (`MESH_TEST_MQTT_URL`, default `mqtt://127.0.0.1:1883`)
 * and RabbitMQ (`MESH_TEST_AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672`). `describeWithBroker`
 * skips a suite LOUDLY when its broker does not accept TCP connections. `startTcpProxy` puts a loopback
 * proxy in front of a broker so a test can cut every connection (a broker outage as clients see it)
 * without disturbing the shared broker.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';

export const mqttUrl = process.env.MESH_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
export const amqpUrl = process.env.MESH_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const PROBE = `const s = require('net').connect(Number(process.argv[2]), process.argv[1]); s.setTimeout(1500, () => process.exit(1)); s.on('connect', () => { s.destroy(); process.exit(0); }); s.on('error', () => process.exit(1));`;
const reachable = new Map<string, boolean>();

/** Whether something listens at the URL's host and port (synchronous: suites are declared synchronously). */
export function brokerReachable(url: string, defaultPort: number): boolean {
  if (!reachable.has(url)) {
    const { hostname, port } = new URL(url);
    // The probe's 1.5 s decides; the spawn's limit only stops a node that cannot start (seconds on a loaded machine).
    reachable.set(url, spawnSync(process.execPath, ['-e', PROBE, hostname, port || String(defaultPort)], { timeout: 15_000 }).status === 0);
  }
  return reachable.get(url)!;
}

/** `describe` when the broker is up, else a loudly announced `describe.skip`. */
export function describeWithBroker(kind: 'mqtt' | 'amqp', name: string, body: () => void): void {
  const url = kind === 'mqtt' ? mqttUrl : amqpUrl;
  if (brokerReachable(url, kind === 'mqtt' ? 1883 : 5672)) return describe(name, body);
  console.warn(
    `⚠ ${kind === 'mqtt' ? 'Mosquitto' : 'RabbitMQ'} not reachable at ${url.replace(/\/\/[^@]*@/, '//')} (set MESH_TEST_${kind.toUpperCase()}_URL) — skipping "${name}"`,
  );
  const skipped: jest.Describe = describe.skip;
  skipped(name, body);
}

/** A loopback TCP proxy: `cut()` destroys every connection and refuses new ones until `restore()`. */
export interface TcpProxy {
  /** The broker URL rewritten to the proxy's port. */
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string, defaultPort: number): Promise<TcpProxy> {
  const parsed = new URL(target);
  const targetPort = Number(parsed.port || defaultPort);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = net.createServer((client) => {
        const upstream = net.connect(targetPort, parsed.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        port = (created.address() as net.AddressInfo).port;
        server = created;
        resolve();
      });
    });
  const cut = async () => {
    const closing = server;
    server = null;
    for (const s of sockets) s.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  parsed.port = String(port);
  return { url: parsed.toString().replace(/\/$/, ''), cut, restore: listen, close: cut };
}
