/**
 * One relay process of `derpdesk relay -workers N`: the normal relay service on the shared listen address (the
 * primary hands it connections), with the server key it got from the primary, plus a private loopback listener
 * through which the other workers link to it as derper mesh peers do. A packet for a client on another worker
 * goes over that worker's link, and PeerPresent/PeerGone on the links keep every worker's routes current.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatNodePublic, generateKeyPair, keyPairFromPrivate } from '../../derp/keys.js';
import type { Logger } from '../../util/log.js';
import { createDerpHttp } from '../http.js';
import { MeshLink } from '../mesh.js';
import { serveUpgrades, type RelayService, type RelayServiceConfig } from '../service.js';
import { isMessage, type ToPrimary, type ToWorker, type WorkerConfig, type WorkerPeer } from './messages.js';
import { SharedCertificates } from './certificates.js';
import { withoutWorkerLinks } from './stats-view.js';
import { sumVarz } from './varz-aggregate.js';

const CONFIG_TIMEOUT_MS = 10_000;
const LINK_POLL_MS = 20;
/** Longer than the primary waits for the slowest worker's part, so its answer (partial or not) arrives first. */
const VARZ_TIMEOUT_MS = 5_000;

/** Calls `done` once the message is handed to the channel, or at once when a primary that is gone cannot get it. */
function post(m: ToPrimary, done: () => void = () => {}): void {
  if (process.connected && process.send) process.send(m, undefined, undefined, () => done());
  else done();
}

const postAndWait = (m: ToPrimary) => new Promise<void>((resolve) => post(m, resolve));

export class RelayWorker {
  private service: RelayService | null = null;
  private listener: http.Server | null = null;
  private readonly links = new Map<string, MeshLink>();
  /** The other workers' link identities, whose connections into this worker are not clients. */
  private linkKeys = new Set<string>();
  /** The key this worker's links dial with: not the server key, which a relay refuses as a watcher of itself. */
  private readonly linkIdentity = generateKeyPair();
  private readonly varzWaiting = new Map<number, (texts: string[]) => void>();
  private nextVarzId = 1;
  private linkPoll: NodeJS.Timeout | null = null;
  /** -certmode letsencrypt: what the primary's ACME orders got, and the answers to its pending challenges. */
  private readonly certificates: SharedCertificates | null;

  private constructor(
    readonly config: WorkerConfig,
    /** This worker's logger: the relay's, each line tagged with the worker's number. */
    readonly log: Logger,
  ) {
    this.certificates = config.certificates && new SharedCertificates(config.certificates);
    process.on('message', this.onMessage);
  }

  /** Lines from this worker name it, so the interleaved output of N workers can be told apart. */
  static tagged(log: Logger, index: number): Logger {
    const tag = `[worker ${index + 1}] `;
    return {
      info: (m) => log.info(tag + m),
      warn: (m) => log.warn(tag + m),
      debug: (m) => log.debug(tag + m),
      debugEnabled: log.debugEnabled,
    };
  }

  /** Asks the primary for this worker's index and the shared secrets. */
  static join(log: Logger): Promise<RelayWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        process.off('message', onMessage);
        reject(new Error(`the primary sent no configuration within ${CONFIG_TIMEOUT_MS / 1000} s`));
      }, CONFIG_TIMEOUT_MS);
      const onMessage = (m: unknown) => {
        if (!isMessage<ToWorker>(m) || m.t !== 'config') return;
        clearTimeout(timer);
        process.off('message', onMessage);
        resolve(new RelayWorker(m.config, RelayWorker.tagged(log, m.config.index)));
      };
      process.on('message', onMessage);
      post({ t: 'hello' });
    });
  }

  /**
   * The shared server and mesh keys, the primary's certificates, and stats and /debug/varz for the whole relay
   * rather than this worker.
   */
  serviceOptions(): Pick<
    RelayServiceConfig,
    'serverKey' | 'siblingMeshKey' | 'certificates' | 'statsView' | 'varz' | 'debugFacts'
  > {
    const pair = keyPairFromPrivate(Buffer.from(this.config.serverPrivateKey, 'hex'));
    return {
      serverKey: { ...pair, created: false },
      siblingMeshKey: this.config.meshKey,
      ...(this.certificates ? { certificates: this.certificates } : {}),
      statsView: (s) =>
        this.service ? withoutWorkerLinks(s, this.service.derp.peers(), this.linkKeys, this.linksUp()) : s,
      varz: () => this.collectVarz(),
      debugFacts: [
        [
          'Worker',
          `${this.config.index + 1} of ${this.config.count} (pid ${process.pid}) answered: Clients counts this worker's, /debug/varz the whole relay`,
        ],
      ],
    };
  }

  /** Opens this worker's private listener and tells the primary it is serving. */
  async attach(service: RelayService): Promise<void> {
    this.service = service;
    const handlers = createDerpHttp({ server: service.derp, varz: service.localVarz });
    const listener = http.createServer(handlers.onRequest);
    serveUpgrades(listener, handlers, this.log);
    // Exclusive: a cluster worker's listen() is otherwise shared through the primary, and this port is this
    // worker's alone.
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    this.listener = listener;
    const port = (listener.address() as AddressInfo).port;
    await postAndWait({
      t: 'up',
      url: `http://127.0.0.1:${port}/derp`,
      linkKey: formatNodePublic(this.linkIdentity.publicKey),
    });
  }

  /** Tells the primary this worker cannot start, and why; the worker then exits with `exitCode`. */
  failed(message: string, exitCode: number): Promise<void> {
    return postAndWait({ t: 'failed', message, exitCode });
  }

  stop(): void {
    process.off('message', this.onMessage);
    if (this.linkPoll) clearInterval(this.linkPoll);
    for (const link of this.links.values()) link.stop();
    this.links.clear();
    this.listener?.close();
    this.listener?.closeAllConnections();
  }

  private linksUp(): number {
    let n = 0;
    for (const link of this.links.values()) if (link.state === 'up') n++;
    return n;
  }

  private readonly onMessage = (m: unknown): void => {
    if (!isMessage<ToWorker>(m)) return;
    switch (m.t) {
      case 'peers':
        return this.setPeers(m.peers);
      case 'varz-part?':
        return post({ t: 'varz-part', id: m.id, text: this.service?.localVarz() ?? '' });
      case 'varz':
        return this.varzWaiting.get(m.id)?.(m.texts);
      case 'certificate':
        return this.certificates?.replace(m);
      case 'challenge':
        this.certificates?.hold(m.answer);
        return post({ t: 'challenge-held', id: m.id });
      case 'challenge-over':
        return this.certificates?.release(m.answer);
    }
  };

  /** Links to every other worker that is up; a link to a worker that is gone (or restarted elsewhere) is dropped. */
  private setPeers(peers: WorkerPeer[]): void {
    const service = this.service;
    if (!service) return;
    const others = peers.filter((p) => p.index !== this.config.index);
    this.linkKeys = new Set(others.map((p) => p.linkKey));
    const urls = new Set(others.map((p) => p.url));
    for (const [url, link] of this.links) {
      if (urls.has(url)) continue;
      link.stop();
      this.links.delete(url);
    }
    for (const url of urls) {
      if (this.links.has(url)) continue;
      const link = new MeshLink(service.derp, url, {
        keyPair: this.linkIdentity,
        meshKey: this.config.meshKey,
        logger: this.log,
        sibling: true,
      });
      this.links.set(url, link);
      link.start();
    }
    this.reportWhenLinked();
  }

  /** Tells the primary once every link is up, so it can say when the relay serves as one. */
  private reportWhenLinked(): void {
    if (this.linkPoll) clearInterval(this.linkPoll);
    this.linkPoll = setInterval(() => {
      if (this.linksUp() < this.links.size) return;
      clearInterval(this.linkPoll!);
      this.linkPoll = null;
      post({ t: 'linked', links: this.links.size });
    }, LINK_POLL_MS);
  }

  /** Every worker's /debug/varz text, summed: the primary asks each worker (this one included) for its own. */
  private collectVarz(): Promise<string> {
    const id = this.nextVarzId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.varzWaiting.delete(id);
        reject(new Error(`the relay's primary process did not answer within ${VARZ_TIMEOUT_MS / 1000} s`));
      }, VARZ_TIMEOUT_MS);
      this.varzWaiting.set(id, (texts) => {
        clearTimeout(timer);
        this.varzWaiting.delete(id);
        resolve(sumVarz(texts));
      });
      post({ t: 'varz?', id });
    });
  }
}
