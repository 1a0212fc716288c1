import { defineConfig } from 'vite';

// The renderer (React UI) is built by Vite into dist/renderer; it arrives with the desktop-app issue.
export default defineConfig({
  root: 'renderer',
  base: './',
  build: { outDir: '../dist/renderer', emptyOutDir: true },
});
