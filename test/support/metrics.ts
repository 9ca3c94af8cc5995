/** One scrape of a Prometheus text exposition, read by metric name and labels. */
export class Samples {
  private readonly samples: { name: string; labels: Record<string, string>; value: number }[] = [];

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value.replace(/\\(.)/g, '$1');
      this.samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
  }

  /** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

/** GET the metrics (with `token` as a Bearer token when given). */
export async function scrape(url: string, token?: string): Promise<Samples> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return new Samples(await res.text());
}

/** Scrapes until `check` holds (the server counts a socket's close when it has read it); fails after `timeoutMs`. */
export async function scrapeUntil(url: string, check: (s: Samples) => boolean, timeoutMs = 5000): Promise<Samples> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(url);
    if (check(samples)) return samples;
    if (Date.now() > until)
      throw new Error(
        `the metrics did not reach the expected state:\n${samples.text
          .split('\n')
          .filter((l) => /^(ws_|event_|webhook_)/.test(l))
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}
