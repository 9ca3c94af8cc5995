import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Screenshots for review land here (.ci/run keeps .ci/out/). */
export const SCREENSHOTS = join(__dirname, '../../.ci/out/screenshots');

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

/**
 * The chromium binary, or undefined: the browser tests are then skipped with a printed reason,
 * unless REQUIRE_CHROMIUM=1 (set by .ci/run, which installs Debian's chromium), where its absence fails.
 */
export function chromiumPath(file: string): string | undefined {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found && process.env.REQUIRE_CHROMIUM === '1') {
    throw new Error(`REQUIRE_CHROMIUM=1 but no chromium binary was found (looked at ${CANDIDATES.join(', ')}; apt-get install -y chromium)`);
  }
  if (!found) {
    // straight to stderr: jest drops the console output of a file whose tests are all skipped
    process.stderr.write(
      `\nSKIPPED ${file}: no chromium binary (apt-get install -y chromium, or set CHROMIUM_PATH; .ci/run installs it and forbids this skip).\n`,
    );
  }
  return found;
}

/** Headless chromium with nothing of its own on the network (no updates, sync or safe browsing lookups). */
export function launchBrowser(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** every URL the page asked for (documents, scripts, styles, fonts, fetches, sockets) */
  requests: string[];
  /** console errors and uncaught exceptions, CSP violations among them */
  problems: string[];
  /** the hosts asked for, other than the server's own */
  foreignHosts(): string[];
  screenshot(name: string): Promise<void>;
}

/** A new page that records every request it makes (WebSockets included) and every error it logs. */
export async function watchedPage(browser: Browser, serverHost: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  // a failed load is counted once, by its response (the page's own document may answer 404 or 410 on purpose)
  page.on('response', (res) => {
    const document = res.request().isNavigationRequest() && res.request().frame() === page.mainFrame();
    if (res.status() >= 400 && !document) problems.push(`${res.status()} ${res.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', ({ url }) => requests.push(url));
  return {
    page,
    requests,
    problems,
    foreignHosts: () => [...new Set(requests.filter((u) => !/^(data|blob|about):/.test(u)).map((u) => new URL(u).host))].filter((h) => h !== serverHost),
    async screenshot(name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}
