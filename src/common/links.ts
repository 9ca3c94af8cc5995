import type { AppConfig } from './config';

/** A personalised link: PUBLIC_URL plus a path carrying the single-use token. */
export function personalLink(config: AppConfig, path: 'invitations' | 'partnership-requests' | 'admin-relationships', token: string): string {
  return `${config.publicUrl}/${path}/${encodeURIComponent(token)}`;
}

export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
