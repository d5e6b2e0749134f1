import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import { HEADERS_TOO_LARGE, OPEN, textAnswer } from '../apiDoc.js';
import type { Operation } from './route.js';

/** The page's files: next to the compiled routes in `dist/`, and in `src/` when run from source. */
const ASSETS_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

/**
 * Everything the page loads comes from this service, and nothing runs inline: the policy proves it
 * on every load (a script or style from elsewhere, or an inline one, would be refused).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const sendPage: RequestHandler = (_req, res) => {
  res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.sendFile('index.html', { root: ASSETS_DIR });
};

/** `GET /`: the dashboard page. */
export const getDashboard: Operation = {
  handlers: () => [sendPage],
  doc: {
    operationId: 'getDashboard',
    summary: 'The dashboard: statistics, age histogram, users page by page, failing files, publish button',
    security: OPEN,
    responses: { 200: textAnswer('the page; its script and style sheet load from /dashboard/', 'text/html'), 431: HEADERS_TOO_LARGE },
  },
};

/** `GET /dashboard/*`: the page's script, style sheet and icon. */
export function dashboardAssets(): Router {
  const router = express.Router();
  router.use(
    '/dashboard',
    express.static(ASSETS_DIR, {
      index: false,
      // Revalidated on every load (cheap: ETag), so a new release is never mixed with old assets.
      setHeaders: (res) => res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }),
    }),
  );
  return router;
}
