import { randomBytes } from 'node:crypto';

/** Bytes of one fingerprint: 128 bits, so neither chance nor a crafted key name collides. */
export const FINGERPRINT_BYTES = 16;
/** Bytes of the secret that keys the fingerprints of one run. */
export const FINGERPRINT_SECRET_BYTES = 16;

const rotl = (x: number, b: number): number => (x << b) | (x >>> (32 - b));
/** What tells the four outputs apart (SipHash's own tweak for the first two, then two more). */
const OUTPUT_TWEAK = [0, 0xdd, 0xcc, 0xbb] as const;

/** One SipRound of HalfSipHash on its four 32-bit state words, in place. */
const sipRound = (v: Int32Array): void => {
  v[0] = (v[0] + v[1]) | 0;
  v[1] = rotl(v[1], 5) ^ v[0];
  v[0] = rotl(v[0], 16);
  v[2] = (v[2] + v[3]) | 0;
  v[3] = rotl(v[3], 8) ^ v[2];
  v[0] = (v[0] + v[3]) | 0;
  v[3] = rotl(v[3], 7) ^ v[0];
  v[2] = (v[2] + v[1]) | 0;
  v[1] = rotl(v[1], 13) ^ v[2];
  v[2] = rotl(v[2], 16);
};

/**
 * Remembers which keys a run has accounted for, in memory that does not grow with key length:
 * each key is kept as a 128-bit keyed fingerprint in an open-addressing table of typed arrays
 * (about 34 bytes per key at the table's load). SCAN may return a key more than once (while
 * Redis rehashes, or when a scan restarts after a failover); this tells a repeat from a first
 * sighting, so a key is counted once.
 *
 * The fingerprint is HalfSipHash-1-3 over the key's UTF-16 code units, keyed by a random
 * per-run secret, with 128 bits of output. Key names come from the keyspace, that is from
 * whoever writes to Redis: an unkeyed hash lets them craft two names that collide, and a
 * collision would make a real key look like a repeat and be left out. With a secret they
 * cannot see, and 128 bits, a collision among 10^9 keys has a probability below 10^-20.
 *
 * The fingerprints of committed batches are stored with the run (`fingerprintsOf`), and a
 * resumed run loads them back (`addFingerprints`) with the run's secret, so keys accounted for
 * before a crash are recognised after it.
 */
export class SeenKeySet {
  private readonly k: Uint32Array;
  private table: Uint32Array;
  private used: Uint8Array;
  private count = 0;
  /** The last fingerprint computed (`add`, `has`), so `fingerprintsOf` needs no second pass. */
  private readonly last = new Uint32Array(4);
  /** HalfSipHash's four state words, reused for every key. */
  private readonly state = new Int32Array(4);

  constructor(
    /** The run's secret (FINGERPRINT_SECRET_BYTES); a fresh random one by default. */
    readonly secret: Buffer = randomBytes(FINGERPRINT_SECRET_BYTES),
    /** The prefix every key is expected to share (the tenant key prefix); '' for none. */
    private readonly prefix = '',
    initialCapacity = 1 << 16,
  ) {
    if (secret.length !== FINGERPRINT_SECRET_BYTES)
      throw new RangeError(`the fingerprint secret must be ${FINGERPRINT_SECRET_BYTES} bytes`);
    this.k = new Uint32Array([
      secret.readUInt32LE(0),
      secret.readUInt32LE(4),
      secret.readUInt32LE(8),
      secret.readUInt32LE(12),
    ]);
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.table = new Uint32Array(capacity * 4);
    this.used = new Uint8Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; returns false if it was already there. */
  add(key: string): boolean {
    this.fingerprint(key);
    const f = this.last;
    return this.insert(f[0], f[1], f[2], f[3]);
  }

  /** Whether the key is there, without adding it. */
  has(key: string): boolean {
    this.fingerprint(key);
    const f = this.last;
    return this.find(f[0], f[1], f[2], f[3]) >= 0;
  }

  /** Writes the fingerprint of the last key given to `add` or `has` into `out` at `offset`. */
  lastFingerprintInto(out: Buffer, offset: number): void {
    for (let w = 0; w < 4; w++) out.writeUInt32LE(this.last[w], offset + w * 4);
  }

  /** The fingerprints of the given keys, concatenated (FINGERPRINT_BYTES each), for storage. */
  fingerprintsOf(keys: readonly string[]): Buffer {
    const out = Buffer.allocUnsafe(keys.length * FINGERPRINT_BYTES);
    keys.forEach((key, i) => {
      this.fingerprint(key);
      for (let w = 0; w < 4; w++) out.writeUInt32LE(this.last[w], i * FINGERPRINT_BYTES + w * 4);
    });
    return out;
  }

  /** Every fingerprint held, concatenated (FINGERPRINT_BYTES each), for `addFingerprints`. */
  allFingerprints(): Buffer {
    const out = Buffer.allocUnsafe(this.count * FINGERPRINT_BYTES);
    let at = 0;
    for (let slot = 0; slot < this.used.length; slot++) {
      if (!this.used[slot]) continue;
      for (let w = 0; w < 4; w++) out.writeUInt32LE(this.table[slot * 4 + w], at + w * 4);
      at += FINGERPRINT_BYTES;
    }
    return out;
  }

  /** Adds stored fingerprints (made by `fingerprintsOf` with the same secret). */
  addFingerprints(fingerprints: Buffer): void {
    if (fingerprints.length % FINGERPRINT_BYTES !== 0)
      throw new RangeError('stored fingerprints are not a whole number of fingerprints');
    for (let at = 0; at < fingerprints.length; at += FINGERPRINT_BYTES) {
      this.insert(
        fingerprints.readUInt32LE(at),
        fingerprints.readUInt32LE(at + 4),
        fingerprints.readUInt32LE(at + 8),
        fingerprints.readUInt32LE(at + 12),
      );
    }
  }

  /**
   * Computes the key's fingerprint into `last`: HalfSipHash-1-3 keyed with the run's secret,
   * extended to four 32-bit outputs (its 128-bit state is what the outputs are drawn from).
   * The shared prefix of the keys, when the key has it, is left out (it tells no two keys
   * apart); a flag in the initial state keeps such a key apart from one without the prefix.
   */
  private fingerprint(key: string): void {
    const skip = this.prefix.length > 0 && key.startsWith(this.prefix) ? this.prefix.length : 0;
    const k = this.k;
    const v = this.state;
    v[0] = k[0] ^ (skip > 0 ? 1 : 0);
    v[1] = k[1] ^ 0xee;
    v[2] = 0x6c796765 ^ k[2];
    v[3] = 0x74656462 ^ k[3];
    const n = key.length - skip;
    const whole = skip + (n & ~1);
    for (let i = skip; i <= whole; i += 2) {
      // Two UTF-16 code units per 32-bit word; the last word carries the length (in units,
      // mod 2^16) and the odd unit, as SipHash's padding carries the byte length.
      const m =
        i < whole
          ? key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16)
          : ((n & 0xffff) << 16) | (n & 1 ? key.charCodeAt(key.length - 1) : 0);
      v[3] ^= m;
      sipRound(v);
      v[0] ^= m;
    }
    v[2] ^= 0xee;
    for (let out = 0; out < 4; out++) {
      v[1] ^= OUTPUT_TWEAK[out];
      for (let r = 0; r < 3; r++) sipRound(v);
      this.last[out] = v[1] ^ v[3];
    }
  }

  private slotOf(a: number, b: number): number {
    return (a ^ Math.imul(b, 0x9e3779b1)) & (this.used.length - 1);
  }

  private find(a: number, b: number, c: number, d: number): number {
    const mask = this.used.length - 1;
    const t = this.table;
    for (let slot = this.slotOf(a, b); this.used[slot]; slot = (slot + 1) & mask) {
      const at = slot * 4;
      if (t[at] === a && t[at + 1] === b && t[at + 2] === c && t[at + 3] === d) return slot;
    }
    return -1;
  }

  private insert(a: number, b: number, c: number, d: number): boolean {
    if ((this.count + 1) * 4 > this.used.length * 3) this.grow();
    const mask = this.used.length - 1;
    const t = this.table;
    let slot = this.slotOf(a, b);
    while (this.used[slot]) {
      const at = slot * 4;
      if (t[at] === a && t[at + 1] === b && t[at + 2] === c && t[at + 3] === d) return false;
      slot = (slot + 1) & mask;
    }
    this.used[slot] = 1;
    const at = slot * 4;
    t[at] = a >>> 0;
    t[at + 1] = b >>> 0;
    t[at + 2] = c >>> 0;
    t[at + 3] = d >>> 0;
    this.count++;
    return true;
  }

  private grow(): void {
    const { table, used } = this;
    this.table = new Uint32Array(table.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let slot = 0; slot < used.length; slot++) {
      if (used[slot])
        this.insert(table[slot * 4], table[slot * 4 + 1], table[slot * 4 + 2], table[slot * 4 + 3]);
    }
  }
}
