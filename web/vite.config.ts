import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The browser client, bundled into web/dist (served at `/` by src/http/web-client.ts).
 * `npm run build` runs this after the server's tsc; the browser tests run it themselves.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
