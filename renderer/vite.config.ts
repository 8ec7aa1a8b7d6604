import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Relative base: the window loads the build from a file or app:// URL, where absolute /assets
// paths would miss. import.meta.dirname (Node >= 20.11) keeps this file free of node: imports,
// which the renderer's lint rules forbid.
const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}/../dist/renderer`,
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: true,
    modulePreload: { polyfill: false },
  },
});
