import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The console is embedded in the Go binary from internal/console/dist/app.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: '../internal/console/dist/app',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
  },
})
