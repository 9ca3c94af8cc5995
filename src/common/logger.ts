import pino from 'pino';
import { currentRequestId } from './request-id';

/**
 * The process logger: JSON lines on stdout (pino). The level comes from LOG_LEVEL. A line written
 * while a request or WebSocket operation runs carries its `requestId` (src/common/request-id.ts).
 */
export const logger = pino({
  level: process.env.LOG_LEVEL || (process.env.NODE_ENV === 'test' ? 'error' : 'info'),
  base: undefined,
  mixin() {
    const requestId = currentRequestId();
    return requestId ? { requestId } : {};
  },
});

export type Logger = typeof logger;
