/**
 * The answers to the ACME challenges pending now: the key authorization per HTTP-01 token, and the acmeIdentifier
 * certificate per host name for TLS-ALPN-01. The process that runs the order holds them, and so does every
 * process that may receive the CA's validation (each `-workers` worker), since any of them can be the one it reaches.
 */
import tls from 'node:tls';

/** One challenge's answer, in a form that crosses a process boundary (PEM, not a SecureContext). */
export type ChallengeAnswer =
  | { type: 'http-01'; token: string; keyAuthorization: string }
  | { type: 'tls-alpn-01'; name: string; keyPem: string; certPem: string };

/** Where the process running the order puts each answer before it asks the CA to validate, and takes it back. */
export interface ChallengeShare {
  /** Resolves once every process serving the relay's ports holds `answer`. */
  add(answer: ChallengeAnswer): Promise<void>;
  remove(answer: ChallengeAnswer): void;
}

export class ChallengeAnswers {
  private readonly httpTokens = new Map<string, string>();
  private readonly alpn = new Map<string, { answer: ChallengeAnswer; context: tls.SecureContext }>();

  add(answer: ChallengeAnswer): void {
    if (answer.type === 'http-01') this.httpTokens.set(answer.token, answer.keyAuthorization);
    else
      this.alpn.set(answer.name, {
        answer,
        context: tls.createSecureContext({ key: answer.keyPem, cert: answer.certPem }),
      });
  }

  remove(answer: ChallengeAnswer): void {
    if (answer.type === 'http-01') this.httpTokens.delete(answer.token);
    else this.alpn.delete(answer.name);
  }

  /** The key authorization for an HTTP-01 token, while its challenge is pending. */
  httpChallenge(token: string): string | undefined {
    return this.httpTokens.get(token);
  }

  /** The acmeIdentifier certificate for a TLS-ALPN-01 validator asking for `servername`. */
  readonly alpnContext = (servername: string): tls.SecureContext | undefined => this.alpn.get(servername)?.context;

  /** What a process that starts while challenges are pending must be given. */
  pending(): ChallengeAnswer[] {
    return [
      ...[...this.httpTokens].map(([token, keyAuthorization]) => ({
        type: 'http-01' as const,
        token,
        keyAuthorization,
      })),
      ...[...this.alpn.values()].map((a) => a.answer),
    ];
  }
}
