import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The browser client, bundled into web/dist (served at `/` by src/http/web-client.ts).
 * `npm run build` runs this after the server's tsc; the browser tests run it themselves.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Absolute: the page is also served at /chats/:id, where relative asset paths would miss.
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
