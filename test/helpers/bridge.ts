/** A test client for `derpdesk host`'s WebSocket bridge: authenticates with the first message, then calls by id. */
import { WebSocket } from 'ws';
import type { BridgeMessage } from '../../shared/api.js';

export class Bridge {
  private nextId = 1;
  readonly events: Array<{ event: string; payload: unknown }> = [];
  private pending = new Map<number, (m: BridgeMessage) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as BridgeMessage;
      if ('event' in m) this.events.push(m);
      else this.pending.get(m.id)?.(m);
    });
  }

  /** Opens /api on a loopback port and authenticates with the first message. */
  static open(port: number, token: string): Promise<Bridge> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api`);
      ws.once('open', () => ws.send(JSON.stringify({ auth: token })));
      ws.once('message', (d) =>
        JSON.parse(String(d)).authed === true ? resolve(new Bridge(ws)) : reject(new Error(`unexpected ${d}`)),
      );
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  call(call: string, ...args: unknown[]): Promise<BridgeMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, call, args }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
