// Drives the VS Code workbench that code-server serves, through Debian's Chromium and playwright-core.
// Every wait is bounded; helpers throw with a message that says what was not found.
import { chromium } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export async function launchBrowser() {
  if (!CHROMIUM) throw new Error('Chromium is not installed (/usr/bin/chromium); run: bash scripts/ensure-test-deps.sh');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Polls fn until it returns a truthy value or the time runs out; returns that value or throws `what`. */
export async function waitFor(what, fn, { timeoutMs = 15_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message.split('\n')[0]})` : ''}`);
    await sleep(intervalMs);
  }
}

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page, url, folder) {
    this.page = page;
    this.url = url;
    this.folder = folder;
    this.consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(`${m.location()?.url ?? ''}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
  }

  static async open(browser, url, folder, { width = 1400, height = 900 } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const wb = new Workbench(page, url, folder);
    await wb.load();
    return wb;
  }

  async load() {
    await this.page.goto(`${this.url}/?folder=${encodeURIComponent(this.folder)}`, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 45_000 });
    await this.explorerRow(null).first().waitFor({ timeout: 30_000 });
  }

  /**
   * "Developer: Reload Window" from the Command Palette, as a user does: the workbench shuts down properly
   * (saving editor and webview state) before the page reloads. A bare page reload can lose recent state.
   */
  async reloadWindow() {
    await this.page.evaluate(() => {
      window.__edgeplanE2eBeforeReload = true;
    });
    await this.runCommand('Developer: Reload Window');
    await waitFor('the window to reload', () => this.page.evaluate(() => window.__edgeplanE2eBeforeReload !== true).catch(() => false), { timeoutMs: 30_000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 45_000 });
    await this.explorerRow(null).first().waitFor({ timeout: 30_000 });
  }

  explorerRow(name) {
    const rows = this.page.locator('.explorer-folders-view .monaco-list-row');
    return name === null ? rows : rows.filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) });
  }

  /** Opens a folder row in the Explorer when it is collapsed. */
  async expandFolder(name) {
    const row = this.explorerRow(name).first();
    await row.waitFor({ timeout: 15_000 });
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
  }

  /** Right-clicks an Explorer entry and returns the labels of the context menu (menus appear once extensions are scanned). */
  async openExplorerContextMenu(name) {
    const row = this.explorerRow(name).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.first().waitFor({ timeout: 5_000 });
    return menu.locator('.action-item .action-label').allInnerTexts();
  }

  /**
   * Right-clicks `name` in the Explorer until the menu has `entry` (the extension host contributes menus a few
   * seconds after the workbench shows), then hovers it and presses Enter. Returns the menu labels seen.
   */
  async runExplorerContextMenu(name, entry, { timeoutMs = 30_000 } = {}) {
    let labels = [];
    await waitFor(`"${entry}" in the Explorer context menu of ${name}`, async () => {
      labels = (await this.openExplorerContextMenu(name)).map((l) => l.trim());
      if (labels.includes(entry)) return true;
      await this.page.keyboard.press('Escape');
      await sleep(700);
      return false;
    }, { timeoutMs, intervalMs: 300 });
    const item = this.page.locator('.context-view .monaco-menu .action-item .action-label', { hasText: new RegExp(`^${escapeRe(entry)}$`) }).first();
    await item.hover();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
    return labels;
  }

  /** Runs a command by its title through the Command Palette (F1). */
  async runCommand(title, { timeoutMs = 30_000 } = {}) {
    // The palette lists a command once its extension is known; retry until the row with exactly this title shows,
    // then click that row (the filter also matches longer titles that contain this one).
    const row = this.page.locator('.quick-input-list .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
    await waitFor(`the command "${title}" in the Command Palette`, async () => {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ state: 'visible', timeout: 3_000 });
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs, intervalMs: 500 });
    await row.click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }

  /** The webview frames (their innermost document), with their text. */
  async webviewTexts() {
    const out = [];
    for (const frame of this.page.frames()) {
      if (frame === this.page.mainFrame() || frame.isDetached()) continue;
      try {
        const text = await withTimeout(frame.evaluate(() => (document.body ? document.body.innerText : '')), 5_000);
        out.push({ frame, text });
      } catch {}
    }
    return out;
  }

  /** The first webview frame whose document matches `test` (a function of the frame, or a RegExp on its text). */
  async webviewFrame(what, test, { timeoutMs = 30_000 } = {}) {
    try {
      return await waitFor(what, async () => {
        for (const { frame, text } of await this.webviewTexts()) {
          try {
            if (test instanceof RegExp ? test.test(text) : await withTimeout(test(frame, text), 5_000)) return frame;
          } catch {
            // a frame that navigates or detaches meanwhile
          }
        }
        return null;
      }, { timeoutMs, intervalMs: 400 });
    } catch (e) {
      const seen = (await this.webviewTexts()).map(({ frame, text }) => `[${frame.url().slice(0, 60)}] ${text.slice(0, 80).replace(/\s+/g, ' ')}`);
      e.message += `; frames now: ${seen.join(' | ') || 'none'}`;
      throw e;
    }
  }

  /** Texts of the notification toasts and of the notification center, with their severity. */
  async notifications() {
    return this.page.evaluate(() =>
      [...document.querySelectorAll('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item')].map((el) => {
        const icon = el.querySelector('.notification-list-item-icon');
        const cls = icon ? icon.className : '';
        const severity = /codicon-error/.test(cls) ? 'error' : /codicon-warning/.test(cls) ? 'warning' : 'info';
        const msg = el.querySelector('.notification-list-item-message');
        return { severity, text: (msg ? msg.textContent : el.textContent || '').trim() };
      }),
    );
  }

  async errorNotifications() {
    return (await this.notifications()).filter((n) => n.severity === 'error');
  }

  /** Waits for the quick input (e.g. the simple save dialog), replaces its value and accepts it. */
  async answerQuickInput(value, { timeoutMs = 10_000 } = {}) {
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await sleep(300); // the simple file dialog fills in its default path first
    // Type like a user: the simple file dialog completes folders as the value changes, and a programmatic
    // fill() can leave it with a mixed-up value.
    await input.press('Control+a');
    await input.pressSequentially(value, { delay: 5 });
    await waitFor(`the quick input to hold ${value}`, async () => (await input.inputValue()) === value, { timeoutMs: 5_000 });
    await sleep(200);
    await this.page.keyboard.press('Enter');
  }

  /** Waits (bounded, never failing) for notification toasts such as a finishing progress bar to go away. */
  async waitForToastsToClose(timeoutMs = 8_000) {
    await waitFor('notification toasts to close', async () => (await this.page.locator('.notifications-toasts .notification-toast').count()) === 0, { timeoutMs }).catch(() => {});
  }

  async screenshot(path) {
    await this.page.screenshot({ path, timeout: 15_000 });
  }

  async close() {
    await this.page.context().close().catch(() => {});
  }
}

/** Resolves like `promise`, or rejects after `ms` (a frame.evaluate on a navigating frame can hang). */
export function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
