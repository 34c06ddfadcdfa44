/**
 * The catalog and the IDE in headless Chromium with the network cut off (every request that is not
 * loopback is aborted): load the catalog, search, open a product, open an example in the IDE, run the
 * query and a subscription there with a pasted token, and take screenshots (written to one folder under
 * the temporary directory, named in the test output and emptied at the start of each run, so runs do not
 * pile them up). Skips loudly when Chromium is missing (`.ci/run` installs it).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { deferred, waitFor, withTimeout } from '../support/asyncWait.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`!!!!!!!! ${CHROMIUM} is missing: the browser tests of the catalog and the IDE are SKIPPED (apt-get install chromium) !!!!!!!!`);
const describeWithChromium = available ? describe : describe.skip;

/** The little of the page's DOM the callbacks run in the browser touch (this file is typechecked without DOM types). */
interface PageGlobals {
  document: {
    querySelector(selector: string): { CodeMirror: { getValue(): string; setValue(value: string): void } } | null;
    querySelectorAll(selector: string): Iterable<{ hidden: boolean; dataset: Record<string, string | undefined> }>;
    createElement(tag: 'script'): { textContent: string };
    head: { appendChild(node: unknown): void };
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const TOKEN = 'Bearer browser-test-token';

describeWithChromium('catalog and IDE in Chromium, offline', () => {
  let mesh: TestMesh;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const blocked: string[] = [];
  const problems: string[] = [];
  const shots = path.join(os.tmpdir(), 'mesh-browser-screenshots');
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots);
  const screenshot = async (name: string) => {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: name === 'catalog' });
  };

  beforeAll(async () => {
    mesh = await startTestMesh({ gatewayConfig: () => ({ landingPage: true }) });
    base = mesh.gateway.url.replace(/\/graphql$/, '');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (LOOPBACK.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('internetdisconnected');
    });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    console.log(`browser screenshots: ${shots}`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await mesh?.close();
  });

  /** The text of a CodeMirror editor (GraphiQL's editors keep their instance on the element). */
  const editorValue = (selector: string) =>
    page.evaluate((s) => (globalThis as unknown as PageGlobals).document.querySelector(s)?.CodeMirror.getValue() ?? null, selector);
  const setEditorValue = (selector: string, value: string) =>
    page.evaluate(([s, v]) => (globalThis as unknown as PageGlobals).document.querySelector(s)!.CodeMirror.setValue(v), [selector, value]);
  const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
  const RESPONSE = '.graphiql-response .CodeMirror';

  it('should search the catalog and open a product page', async () => {
    await page.goto(`${base}/catalog`);
    // Every product: the four demo domains' and one per domain a team added with `npm run new-domain`.
    const catalog = (await (await fetch(`${base}/catalog.json`)).json()) as { products: Array<{ id: string }> };
    const all = catalog.products.map((p) => p.id);
    expect(all).toEqual(expect.arrayContaining(['catalog.products', 'inventory.stock', 'orders.sales', 'shipping.deliveries']));
    await expectVisibleCards(all);
    await screenshot('catalog');

    await page.fill('input[name=q]', 'stock');
    await expectVisibleCards(['inventory.stock']);
    expect(new URL(page.url()).searchParams.get('q')).toBe('stock');
    await page.fill('input[name=q]', '');
    await page.selectOption('select[name=classification]', 'pii');
    await expectVisibleCards(['orders.sales']);

    await page.click('text=Order sales');
    await page.waitForURL(/\/catalog\/orders\.sales$/);
    expect(await page.textContent('h1')).toContain('Order sales');
    expect(await page.textContent('table.fields')).toContain('finance:read');
    await screenshot('product');
  });

  it('should open an example in the IDE and run it with a pasted token', async () => {
    const sent: Array<Record<string, string>> = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/graphql')) sent.push(request.headers());
    });
    await page.click('a.open-in-ide >> nth=0');
    await page.waitForSelector(QUERY_EDITOR);
    expect(await editorValue(QUERY_EDITOR)).toMatch(/^query OrderHistory/);

    await page.click('button:has-text("Headers")');
    await setEditorValue('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', JSON.stringify({ Authorization: TOKEN }));
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      (s) => /"buckets"/.test((globalThis as unknown as PageGlobals).document.querySelector(s)?.CodeMirror.getValue() ?? ''),
      RESPONSE,
    );

    const response = JSON.parse((await editorValue(RESPONSE))!);
    expect(response.errors).toBeUndefined();
    expect(response.data.orderHistory.buckets.length).toBeGreaterThan(0);
    expect(response.extensions.dataProducts).toEqual([{ id: 'orders.sales', asOf: expect.any(String) }]);
    expect(sent.some((headers) => headers.authorization === TOKEN)).toBe(true);
    await screenshot('ide');
  });

  it('should run a subscription in the IDE over graphql-ws with the token in connection_init', async () => {
    const frames: string[] = [];
    const subscribed = deferred();
    page.on('websocket', (socket) =>
      socket.on('framesent', (frame) => {
        frames.push(String(frame.payload));
        if (String(frame.payload).includes('"type":"subscribe"')) subscribed.resolve();
      }),
    );
    await setEditorValue(QUERY_EDITOR, 'subscription Stock {\n  stockChanged(productId: "p3") {\n    onHand\n    product { name }\n  }\n}');
    await page.click('.graphiql-execute-button');
    await withTimeout(subscribed.promise, 'the IDE to subscribe over graphql-ws', 15_000);
    // The upstream subscription is open once the inventory subgraph's bus has a subscriber.
    const bus = () => (mesh.subgraphs.inventory.runtime.bus as unknown as { subscribers: Set<unknown> }).subscribers.size;
    await waitFor(() => bus() > 0, 'the inventory subgraph to have the upstream subscription', 15_000);

    await mesh.post('inventory', mesh.event('StockCounted', { productId: 'p3', warehouse: 'w1', onHand: 4 }, 60_000));
    await page.waitForFunction(
      (s) => /"stockChanged"/.test((globalThis as unknown as PageGlobals).document.querySelector(s)?.CodeMirror.getValue() ?? ''),
      RESPONSE,
    );

    expect(JSON.parse((await editorValue(RESPONSE))!)).toEqual({ data: { stockChanged: { onHand: 4, product: { name: 'Lamp' } } } });
    const init = frames.map((f) => JSON.parse(f)).find((m) => m.type === 'connection_init');
    expect(init.payload).toEqual({ authorization: TOKEN });
    await screenshot('ide-subscription');
  });

  it('should notice a CSP violation when there is one (so the check below can fail)', async () => {
    const violation = deferred<string>();
    const probe = await context.newPage();
    probe.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violation.resolve(message.text());
    });
    await probe.goto(`${base}/graphql`);
    await probe.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.head.appendChild(script);
    });

    expect(await withTimeout(violation.promise, 'the CSP to refuse an inline script')).toContain('script-src');
    await probe.close();
  });

  it('should have reached nothing beyond loopback and hit no CSP violation or script error', () => {
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
  });

  async function expectVisibleCards(ids: string[]) {
    await page.waitForFunction(
      (want) =>
        JSON.stringify(
          [...(globalThis as unknown as PageGlobals).document.querySelectorAll('.product[data-id]')].filter((c) => !c.hidden).map((c) => c.dataset.id),
        ) === want,
      JSON.stringify(ids),
    );
  }
});
