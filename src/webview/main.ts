/**
 * Webview entry (bundled to dist/webview.js). Restores the last view from the saved state before
 * telling the extension it is ready, then renders whatever valid message arrives. Messages that
 * fail the protocol guards are dropped with a console warning, never rendered.
 */
import { isToWebview } from '../protocol';
import { h } from './dom';
import { exportMessage } from './exportFile';
import { TimelineView } from './timeline';
import { restoredViewState, viewState } from './viewState';
import { connectHost } from './vscodeApi';

const host = connectHost();
const root = document.getElementById('app') ?? document.body.appendChild(h('main', { attrs: { id: 'app' } }));

function persist(): void {
  const model = view.current;
  if (!model) return;
  const { side, steps } = view.selection();
  host.saveState(viewState(model, side, steps));
}

const view = new TimelineView(root, {
  selected(side, step, cause) {
    persist();
    if (cause === 'user') host.post({ type: 'stepChanged', side, step });
  },
  reveal(line) {
    host.post({ type: 'reveal', line });
  },
  export(format) {
    const model = view.current;
    if (model) host.post(exportMessage(model, format));
  },
});

const saved = restoredViewState(host.savedState());
if (saved) view.show(saved.model, saved);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isToWebview(message)) {
    console.warn('KVM Race Lens timeline: ignored a message that does not match the protocol');
    return;
  }
  switch (message.type) {
    case 'show':
      view.show(message.model);
      persist();
      break;
    case 'select':
      view.select(message.side, message.step, 'host');
      break;
  }
});

host.post({ type: 'ready' });
