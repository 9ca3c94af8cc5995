/**
 * Imported first by src/main.ts, before any library: the server's libraries run in production mode
 * (graphql-js drops its development-only checks, about a twentieth of the CPU of a page of customers)
 * unless NODE_ENV says otherwise.
 *
 * Without NODE_ENV the server keeps its development profile, `APP_ENV=development`: demo data on
 * SQLite, tokens printed at start, the marked development secrets and any CORS origin. That is what
 * the README's `npm install && npm start` gives. A deployment sets NODE_ENV=production (or
 * APP_ENV=production), and the server then refuses the development secrets (src/common/config.ts).
 */
if (!process.env.NODE_ENV) {
  process.env.APP_ENV ??= 'development';
  process.env.NODE_ENV = 'production';
}

export {};
