import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/main/security';

/** The strict CSP as a meta tag in the built index.html (file:// pages get no response headers). */
const cspMeta = (): Plugin => ({
  name: 'mmea-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      // frame-ancestors is ignored (with a console warning) in a meta tag; the headers carry it
      attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY.replace(/; frame-ancestors [^;]*/, '') },
      injectTo: 'head',
    },
  ],
});

export default defineConfig({
  main: {
    build: {
      // dependencies stay in node_modules (externalized by electron-vite by default)
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'), // Electron entry
          serve: resolve(__dirname, 'src/main/serve.ts'), // browser mode entry (plain Node)
          engine: resolve(__dirname, 'src/engine/process.ts'), // engine process (utilityProcess / fork)
          cli: resolve(__dirname, 'src/cli/main.ts'), // the mmea command line (plain Node)
          kernelWorker: resolve(__dirname, 'src/engine/runtime/kernelWorker.ts'), // kernel threads (runtime/pool.ts)
        },
      },
    },
  },
  preload: {
    // a sandboxed preload may only require('electron'): bundle everything else in
    build: { externalizeDeps: false },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [vue(), cspMeta()],
    build: {
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') },
    },
  },
});
