/** The budgets' `RateLimit` header read back: `"partner";r=10;t=5, "user";r=3;t=1` → { partner: { r: 10, t: 5 }, user: … } */
export function parseRateLimit(header: string | null): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const item of (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, ...params] = item.split(';');
    out[JSON.parse(name) as string] = Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
  }
  return out;
}
