import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import escapeHtml from 'escape-html';
import type { Response } from 'express';

/** The project's folder (from src/web or dist/src/web): the browser files live under web/, examples/ and dist/web/. */
export const PROJECT_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
})();

/** Markup that is already safe: the result of `html`, never text from a request or the database. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

type Part = SafeHtml | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** A template whose values are escaped, unless they are `html` themselves. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

/** Content security policies: each page names exactly what it loads, all of it from this server. */
export const CSP = {
  /** the link pages: one stylesheet, nothing else */
  page: "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  /** GraphiQL and the dashboard example: scripts and sockets to this server only (GraphiQL sets inline styles from React) */
  app: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

/** A whole HTML document: language, viewport, one stylesheet, a main landmark. */
export function documentOf(opts: { title: string; stylesheets: string[]; scripts?: string[]; body: SafeHtml; bodyAttributes?: SafeHtml }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${opts.title}</title>
${opts.stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(opts.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>\n`)}</head>
<body${opts.bodyAttributes ?? ''}>
${opts.body}
</body>
</html>
`.value;
}

/** Sends a page: its policy, never cached (a page may carry a personal token), never indexed. */
export function sendHtml(res: Response, status: number, csp: string, page: string) {
  res.status(status);
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
  res.type('html').send(page);
}
