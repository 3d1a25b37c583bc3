/**
 * Remembers which keys a run has seen, in memory that does not grow with key length:
 * each key is kept as a 64-bit fingerprint (two independent 32-bit FNV-1a hashes) in an
 * open-addressing table of typed arrays, about 16 bytes per key. SCAN may return a key more
 * than once while Redis rehashes; this tells a repeat from a first sighting.
 *
 * A fingerprint collision (about 1 in 3·10^7 for a million keys) would make a distinct key
 * look like a repeat; the engine therefore still processes repeats (its writes are
 * idempotent) and only counts them apart, so no key is ever left behind.
 */
export class SeenKeySet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; returns false if it (or its fingerprint) was already there. */
  add(key: string): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ key.length;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    return this.insert(h1 >>> 0, h2 >>> 0);
  }

  private insert(hi: number, lo: number): boolean {
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    const mask = this.used.length - 1;
    let slot = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
    while (this.used[slot]) {
      if (this.hi[slot] === hi && this.lo[slot] === lo) return false;
      slot = (slot + 1) & mask;
    }
    this.used[slot] = 1;
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.count++;
    return true;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    this.hi = new Uint32Array(used.length * 2);
    this.lo = new Uint32Array(used.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.insert(hi[i], lo[i]);
  }
}
