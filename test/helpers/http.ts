/** Raw HTTP and WebSocket exchanges with a local server, for requests no ordinary client would send. */
import net from 'node:net';
import { WebSocket } from 'ws';

export interface RawAnswer {
  /** 0 when the server closed without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `request` as is to 127.0.0.1:port and parses the first response; the connection is then dropped. */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    // A HEAD answer announces a length but has no body.
    const head = (typeof request === 'string' ? request : request.toString('latin1')).startsWith('HEAD ');
    let data = '';
    const finish = () => {
      clearTimeout(t);
      s.destroy();
      resolve(parseAnswer(data));
    };
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 80))}`));
    }, timeoutMs);
    s.on('data', (d) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end));
      if (!len || head || data.length >= end + 4 + Number(len[1])) finish();
    });
    s.on('end', finish);
    s.on('error', finish);
  });
}

function parseAnswer(data: string): RawAnswer {
  const end = data.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = (end < 0 ? data : data.slice(0, end)).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return { status, headers, body: end < 0 ? '' : data.slice(end + 4) };
}

/** Opens a WebSocket, sends `messages`, and reports how and when the server closed it and what it sent first. */
export function wsClose(
  url: string,
  messages: Array<string | Buffer>,
  timeoutMs = 7000,
): Promise<{ code: number; reason: string; received: string[]; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const received: string[] = [];
    const t0 = Date.now();
    const t = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${url} still open after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => {
      for (const m of messages) ws.send(m);
    });
    ws.on('message', (d) => received.push(String(d)));
    ws.on('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: String(reason), received, afterMs: Date.now() - t0 });
    });
    ws.on('error', () => {});
  });
}
