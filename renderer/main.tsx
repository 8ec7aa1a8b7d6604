import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { findBridge } from './api.js';
import { createAppStore } from './store.js';
import { StoreProvider } from './storeContext.js';
import { App } from './App.js';
import './styles/app.css';

const root = createRoot(document.getElementById('root')!);
const bridge = findBridge();
if (!bridge) {
  root.render(
    <p className="no-bridge">
      DFU Desk’s window needs its programmer bridge. Start it with <code>npm start</code>, or <code>npm run preview</code> for a browser with a simulated device.
    </p>,
  );
} else {
  const store = createAppStore(bridge);
  void store.getState().start();
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
}
