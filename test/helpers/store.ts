/** A tiny async key-value store: the "real driver" that scenarios and benchmarks wrap in chaos. */
export class Store {
  #m = new Map<string, unknown>();
  async get(k: string) {
    return this.#m.get(k);
  }
  async set(k: string, v: unknown) {
    this.#m.set(k, v);
  }
  async del(k: string) {
    this.#m.delete(k);
  }
}
