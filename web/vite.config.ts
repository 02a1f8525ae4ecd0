import { defineConfig } from 'vitest/config';

// JSX through esbuild (no @vitejs/plugin-react: it needs Vite 8, which npm 10 machines cannot install).
// `npm run dev` proxies /api to a running `attune serve` (ATTUNE_API, default http://127.0.0.1:8080).
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  base: './',
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: { '/api': process.env.ATTUNE_API ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    // generous: the suite shares two cores with C++ builds
    testTimeout: 30000,
  },
});
