/**
 * The webview's side of the protocol: post typed messages, receive validated ones, and keep view state
 * with getState/setState. A malformed message from the host is reported to the log and ignored.
 */
import { parseToWebview, type FromWebview, type ToWebview } from '../../src/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: FromWebview): void {
  api.postMessage(message);
}

export function getState<T extends object>(): Partial<T> {
  const s = api.getState();
  return (typeof s === 'object' && s !== null ? s : {}) as Partial<T>;
}

export function setState<T extends object>(state: T): void {
  api.setState(state);
}

/** Tells the user (once) that some data could not be shown, instead of leaving a stale view. */
function showMalformedNotice(): void {
  if (document.getElementById('malformed-notice')) return;
  const p = document.createElement('p');
  p.id = 'malformed-notice';
  p.className = 'error-box';
  p.setAttribute('role', 'alert');
  p.textContent = 'Some results could not be shown because they were not in the expected shape. Details are in the log (Edge Planner: Show Log).';
  document.body.insertBefore(p, document.body.firstChild);
}

/** Listens for host messages; each one is validated before the handler sees it. Then says "ready". */
export function start(handler: (msg: ToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    const parsed = parseToWebview(event.data);
    if (!parsed.ok) {
      post({ type: 'log', level: 'warn', message: `ignored a malformed message from the host: ${parsed.error}` });
      showMalformedNotice();
      return;
    }
    try {
      handler(parsed.message);
    } catch (e) {
      post({ type: 'log', level: 'error', message: `handling ${parsed.message.type} failed: ${(e as Error).stack ?? String(e)}`.slice(0, 3900) });
    }
  });
  window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview error: ${e.message}`.slice(0, 3900) }));
  post({ type: 'ready' });
}
