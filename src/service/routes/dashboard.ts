import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

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

/** `GET /`: the dashboard page; `GET /dashboard/*`: its script, style sheet and icon. */
export function dashboardRoutes(): Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.sendFile('index.html', { root: ASSETS_DIR });
  });
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
