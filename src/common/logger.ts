import pino from 'pino';

/** The process logger: JSON lines on stdout (pino). The level comes from LOG_LEVEL. */
export const logger = pino({
  level: process.env.LOG_LEVEL || (process.env.NODE_ENV === 'test' ? 'error' : 'info'),
  base: undefined,
});

export type Logger = typeof logger;
