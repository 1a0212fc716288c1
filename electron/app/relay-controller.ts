/**
 * The app's embedded relay: started and stopped from the GUI with the saved settings, reporting its state and,
 * once a second, a stats sample and a peers snapshot.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Endpoint, RelayState, StatsSample, StatsWindow, TrustSnapshot } from '../../shared/api.js';
import type { PeerInfo, RelayCertificate, RelayStats } from '../../shared/relay.js';
import { validateSettings, type RelaySettings } from '../../shared/settings.js';
import { AllowList, createAdmissionCheck } from '../relay/admission.js';
import { readMeshKeyFile } from '../relay/mesh.js';
import { loadOrCreateSelfSigned } from '../relay/selfsigned.js';
import { LETSENCRYPT_DIRECTORY, type CertificateState } from '../relay/acme/manager.js';
import { RelayService } from '../relay/service.js';
import type { Logger } from '../util/log.js';
import { describeAcme, describeServedFile } from './relay-certificate.js';
import { StatsHistory, snapshotOf } from './stats-sampler.js';
import { errorMessage } from '../../shared/errors.js';

/** A STUN server the controller can run beside the relay; the STUN module provides the implementation. */
export interface StunRunner {
  endpoints(): Endpoint[];
  requests(): number;
  varz(): string[];
  stop(): Promise<void>;
}
export type StartStun = (listen: string[], logger: Logger) => Promise<StunRunner>;

export interface RelayControllerEvents {
  state: [RelayState];
  sample: [StatsSample];
  peers: [PeerInfo[]];
}

export class RelayController extends EventEmitter<RelayControllerEvents> {
  private state: RelayState = { status: 'stopped' };
  private relay: RelayService | null = null;
  /** How the running relay's certificate files came about (its settings' TLS mode at start). */
  private servedMode: 'manual' | 'self-signed' = 'manual';
  private stun: StunRunner | null = null;
  private readonly statsHistory = new StatsHistory();
  private readonly ticker: NodeJS.Timeout;
  private transition: Promise<RelayState> = Promise.resolve(this.state);

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
    private readonly startStun: StartStun | null,
    /** The ACME CA for TLS mode letsencrypt when the settings name none: Let's Encrypt unless a test says otherwise. */
    private readonly acmeServer: { directoryUrl: string; caFile?: string } = { directoryUrl: LETSENCRYPT_DIRECTORY },
  ) {
    super();
    this.ticker = setInterval(() => this.sample(), 1000);
    this.ticker.unref();
  }

  getState(): RelayState {
    return this.state;
  }

  stats(): RelayStats | null {
    return this.relay?.derp.stats() ?? null;
  }

  peers(): PeerInfo[] {
    return this.relay?.derp.peers() ?? [];
  }

  trust(): TrustSnapshot {
    const r = this.relay;
    const c = r?.derp.stats().counters;
    return {
      denied: r?.derp.deniedClients() ?? [],
      mesh: r?.mesh.map((l) => l.status()) ?? [],
      forwardedIn: c?.packetsForwardedIn ?? 0,
      forwardedOut: c?.packetsForwardedOut ?? 0,
    };
  }

  /** The Let's Encrypt certificate's state (issuer, expiry, last error, next attempt); null in other TLS modes. */
  certificate(): CertificateState | null {
    return this.relay?.certificate() ?? null;
  }

  /** The certificate the running relay serves, for the dashboard; null when stopped or serving plain HTTP. */
  async certificateInfo(): Promise<RelayCertificate | null> {
    const r = this.relay;
    if (!r) return null;
    const acme = r.certificate();
    if (acme) return describeAcme(acme);
    if (!r.tlsFiles) return null;
    return describeServedFile(r.tlsFiles.certFile, this.servedMode);
  }

  history(window: StatsWindow): StatsSample[] {
    return this.statsHistory.history(window);
  }

  /** Real ports while running (for the DERP map entry). */
  listening(): { derpPort: number; stunPort: number | null } | null {
    if (!this.relay) return null;
    const stunUrl = this.stun?.endpoints()[0]?.url;
    return {
      derpPort: this.relay.endpoints[0].port,
      stunPort: stunUrl ? Number(/:(\d+)$/.exec(stunUrl)?.[1] ?? 3478) : null,
    };
  }

  private setState(s: RelayState): RelayState {
    this.state = s;
    this.emit('state', s);
    return s;
  }

  /** Start and stop are serialised: a second request waits for the first to finish. */
  start(settings: RelaySettings): Promise<RelayState> {
    this.transition = this.transition.then(() => this.doStart(settings));
    return this.transition;
  }

  stop(): Promise<RelayState> {
    this.transition = this.transition.then(() => this.doStop());
    return this.transition;
  }

  /** A start refused before it reached the relay (a file the policy does not allow): failed, with the reason. */
  refuse(error: string): Promise<RelayState> {
    this.transition = this.transition.then(() =>
      this.state.status === 'running' ? this.state : this.setState({ status: 'failed', error }),
    );
    return this.transition;
  }

  private async doStart(s: RelaySettings): Promise<RelayState> {
    if (this.state.status === 'running') return this.state;
    const errors = validateSettings(s);
    const bad = Object.entries(errors);
    if (bad.length > 0)
      return this.setState({
        status: 'failed',
        error: `settings are invalid: ${bad.map(([k, v]) => `${k}: ${v}`).join('; ')}`,
      });
    this.setState({ status: 'starting' });
    let certName: string | undefined;
    try {
      let tls = s.tlsMode === 'manual' ? { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile } : null;
      this.servedMode = s.tlsMode === 'self-signed' ? 'self-signed' : 'manual';
      if (s.tlsMode === 'self-signed') {
        const cert = await loadOrCreateSelfSigned(path.join(this.dataDir, 'certs'), s.hostName);
        tls = { certFile: cert.certFile, keyFile: cert.keyFile };
        certName = cert.certName;
      }
      const allowList = s.allowKeysFile ? new AllowList(s.allowKeysFile, this.logger) : undefined;
      await allowList?.load();
      const meshKey = s.meshKeyFile ? await readMeshKeyFile(s.meshKeyFile) : undefined;
      this.relay = await RelayService.start({
        addr: s.listenAddr,
        tls,
        acme:
          s.tlsMode === 'letsencrypt'
            ? {
                hostname: s.hostName,
                certdir: path.join(this.dataDir, 'certs'),
                directoryUrl: s.acmeDirectory || this.acmeServer.directoryUrl,
                email: s.acmeEmail || undefined,
                caFile: s.acmeCaFile || this.acmeServer.caFile,
              }
            : null,
        httpPort: tls || s.tlsMode === 'letsencrypt' ? s.httpPort : -1,
        keyFile: s.keyFile || path.join(this.dataDir, 'derper.key'),
        logger: this.logger,
        meshKey,
        meshWith: s.meshWith
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
        admissionCheck: createAdmissionCheck({
          allowList,
          verifyUrl: s.verifyClientUrl ? { url: s.verifyClientUrl, failOpen: s.verifyFailOpen } : undefined,
          logger: this.logger,
        }),
        rateConfig: {
          PerClientRateLimitBytesPerSec: s.rateLimitBytesPerSec,
          PerClientRateBurstBytes: s.rateBurstBytes,
        },
        extraVarz: () => this.stun?.varz() ?? [],
        onListenerError: (err) => this.listenerFailed(err),
      });
      if (s.stunEnabled && this.startStun) {
        this.stun = await this.startStun(
          s.stunListen
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
          this.logger,
        );
      }
    } catch (err) {
      await this.relay?.stop(null);
      this.relay = null;
      return this.setState({ status: 'failed', error: errorMessage(err) });
    }
    const endpoints: Endpoint[] = [
      ...this.relay.endpoints.map((e) => ({ role: e.role, url: e.url })),
      ...(this.stun?.endpoints() ?? []),
    ];
    return this.setState({
      status: 'running',
      endpoints,
      publicKey: this.relay.publicKey,
      startedAt: Date.now(),
      ...(certName ? { certName } : {}),
    });
  }

  /**
   * A listener of the running relay failed under it: what is left is stopped (its clients get Restarting and go to
   * another relay) and the relay is failed with the reason, which the window, the tray and a notice show.
   */
  private listenerFailed(err: Error): void {
    this.transition = this.transition.then(async () => {
      // Only a listening server fails this way, so the relay is this one unless it was stopped meanwhile.
      if (!this.relay) return this.state;
      const error = `the relay stopped: a listener failed: ${errorMessage(err)}`;
      this.logger.warn(`derpdesk: ${error}`);
      const failed = this.setState({ status: 'failed', error });
      await this.release();
      return failed;
    });
  }

  private async doStop(): Promise<RelayState> {
    if (!this.relay) return this.setState({ status: 'stopped' });
    this.setState({ status: 'stopping' });
    await this.release();
    return this.setState({ status: 'stopped' });
  }

  /** Stops the relay (its clients get Restarting) and STUN, and takes the last sample. */
  private async release(): Promise<void> {
    const relay = this.relay;
    const stun = this.stun;
    this.relay = null;
    this.stun = null;
    await Promise.all([relay?.stop(), stun?.stop()]);
    this.sample();
  }

  private sample(): void {
    const s = this.statsHistory.add(snapshotOf(this.stats(), this.stun?.requests() ?? 0));
    this.emit('sample', s);
    this.emit('peers', this.peers());
  }

  async dispose(): Promise<void> {
    clearInterval(this.ticker);
    await this.doStop();
  }
}
