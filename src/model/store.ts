/**
 * The visited set: packed states in one growing arena, indexed by an open-addressing
 * hash table. Each state's hash is kept beside it: a probe compares hashes before states, and
 * growing the table places every state again without hashing it again. A state's index is its
 * position in the arena, which is also its position in breadth-first order, so the arena
 * doubles as the BFS queue.
 */

export class StateStore {
  readonly words: number;
  arena: Uint32Array;
  /** Index of the state this one was first reached from; -1 for the initial state. */
  parent: Int32Array;
  /** Transition id that first reached this state; -1 for the initial state. */
  via: Int32Array;
  /** Each state's hash, so that growing the table does not hash every state again. */
  private hashes: Int32Array;
  count = 0;
  private table: Int32Array;
  private mask: number;

  constructor(words: number, initialCapacity = 1024) {
    this.words = words;
    const cap = Math.max(16, initialCapacity);
    this.arena = new Uint32Array(cap * words);
    this.parent = new Int32Array(cap);
    this.via = new Int32Array(cap);
    this.hashes = new Int32Array(cap);
    let size = 16;
    while (size < cap * 2) size <<= 1;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  get capacity(): number {
    return this.parent.length;
  }

  /** Bytes held by the store's typed arrays. */
  get bytes(): number {
    return this.arena.byteLength + this.parent.byteLength + this.via.byteLength + this.hashes.byteLength + this.table.byteLength;
  }

  private hash(state: Uint32Array): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.words; i++) {
      h = Math.imul(h ^ state[i]!, 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h;
  }

  private equalsAt(index: number, src: Uint32Array): boolean {
    const base = index * this.words;
    for (let i = 0; i < this.words; i++) if (this.arena[base + i] !== src[i]) return false;
    return true;
  }

  /** Hash-table slot holding `state` (whose hash is `h`), or the empty slot where it would go. */
  private probe(state: Uint32Array, h: number): number {
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0 || (this.hashes[e - 1] === h && this.equalsAt(e - 1, state))) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Index of `state`, or -1 when it is not stored. */
  indexOf(state: Uint32Array): number {
    return this.table[this.probe(state, this.hash(state))]! - 1;
  }

  /**
   * Adds `state` unless present. Returns the new index, or `~index` (a negative number) of the
   * state already there: one probe answers both "is it new" and "which state is it".
   */
  insert(state: Uint32Array, parent: number, via: number): number {
    const h = this.hash(state);
    const slot = this.probe(state, h);
    const found = this.table[slot]!;
    if (found !== 0) return ~(found - 1);
    if (this.count === this.capacity) this.growArena();
    const index = this.count++;
    this.arena.set(state, index * this.words);
    this.parent[index] = parent;
    this.via[index] = via;
    this.hashes[index] = h;
    this.table[slot] = index + 1;
    if (this.count * 2 > this.table.length) this.growTable();
    return index;
  }

  /** Copies state `index` into `out`. */
  load(index: number, out: Uint32Array): void {
    const base = index * this.words;
    for (let i = 0; i < this.words; i++) out[i] = this.arena[base + i]!;
  }

  /** The chain of state indices from the initial state to `index`. */
  pathTo(index: number): number[] {
    const path: number[] = [];
    for (let i = index; i >= 0; i = this.parent[i]!) path.push(i);
    return path.reverse();
  }

  private growArena(): void {
    const cap = this.capacity * 2;
    const arena = new Uint32Array(cap * this.words);
    arena.set(this.arena);
    this.arena = arena;
    const parent = new Int32Array(cap);
    parent.set(this.parent);
    this.parent = parent;
    const via = new Int32Array(cap);
    via.set(this.via);
    this.via = via;
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private growTable(): void {
    const size = this.table.length * 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = this.hashes[index]! & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = index + 1;
    }
  }
}
