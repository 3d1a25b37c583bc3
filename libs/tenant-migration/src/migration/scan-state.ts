import { SeenKeySet } from '../common/seen-key-set.js';

/** A scan's memory (`ScanState.snapshot`): its keys' fingerprints with their secret, and its claims. */
export interface ScanStateSnapshot {
  secret: Buffer;
  fingerprints: Buffer;
  claims: [subdomain: string, key: string][];
}

/**
 * What one scan of the keyspace remembers across its batches, so that every key is judged the
 * same whatever the batch boundaries: the keys it accounted for (a repeat is passed over), and
 * which key claimed each subdomain that a renamed key normalises to (`Zeta` and `ZETA` both
 * name `zeta`; the first to come claims it, the other is a conflict in every batch after).
 * Only renamed keys claim: a key that names its subdomain exactly is checked against Redis
 * itself (`EXISTS`), so the map stays as small as the share of renamed keys.
 */
export class ScanState {
  readonly seen: SeenKeySet;
  /**
   * Whether a renamed key is also checked against the key PostgreSQL credits with its
   * subdomain (migrations, dry runs and the integrity check do; validation alone does not
   * touch PostgreSQL).
   */
  readonly consultPostgres: boolean;
  private readonly claims = new Map<string, string>();

  constructor(
    prefix: string,
    options: {
      /** The run's fingerprint secret (a resumed run passes its own); random by default. */
      secret?: Buffer;
      /** See `consultPostgres`; default true. */
      consultPostgres?: boolean;
    } = {},
  ) {
    this.seen = new SeenKeySet(options.secret, prefix);
    this.consultPostgres = options.consultPostgres ?? true;
  }

  /** What a scan that stops keeps, so that its continuation judges every key as this one would. */
  snapshot(): ScanStateSnapshot {
    return {
      secret: this.seen.secret,
      fingerprints: this.seen.allFingerprints(),
      claims: [...this.claims],
    };
  }

  /** The scan a snapshot was taken of, to continue it. */
  static restore(
    prefix: string,
    snapshot: ScanStateSnapshot,
    options: { consultPostgres?: boolean } = {},
  ): ScanState {
    const state = new ScanState(prefix, { ...options, secret: snapshot.secret });
    state.seen.addFingerprints(snapshot.fingerprints);
    for (const [subdomain, key] of snapshot.claims) state.claims.set(subdomain, key);
    return state;
  }

  /** Claims `subdomain` for `key`; returns the key that claimed it before, if another one did. */
  claim(subdomain: string, key: string): string | undefined {
    const holder = this.claims.get(subdomain);
    if (holder !== undefined && holder !== key) return holder;
    this.claims.set(subdomain, key);
    return undefined;
  }
}
