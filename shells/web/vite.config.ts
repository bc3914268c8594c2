/// <reference types="vitest/config" />
// Vite builds the UI into build/web (CODEYARD_WEB_OUT_DIR, set by CMake) for codeyard-server to
// serve. Everything is bundled, Monaco's workers included (`?worker` imports become files under
// assets/), so the UI needs nothing from any other host. The dev server proxies the API and
// the terminal WebSocket to a running codeyard-server (CODEYARD_API, default 127.0.0.1:8080).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const api = process.env.CODEYARD_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: process.env.CODEYARD_WEB_OUT_DIR ?? "../../build/web",
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    // No inline <script> or data: module preloads: the CSP allows scripts from 'self' only.
    assetsInlineLimit: 0,
  },
  worker: { format: "es" },
  server: {
    proxy: { "/api": { target: api, ws: true } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
