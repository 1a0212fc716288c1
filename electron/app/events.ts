/** The emitter the API's events leave through (IPC forwarding and the WebSocket bridge both listen to it). */
import type { EventEmitter } from 'node:events';
import type { ApiEvents } from '../../shared/api.js';

export type ApiEventEmitter = EventEmitter<{ [E in keyof ApiEvents]: [ApiEvents[E]] }>;
