/**
 * A fixed-capacity FIFO of encoded frames that evicts its oldest entry when full, so a slow receiver costs a
 * bounded amount of memory and the freshest packets win (what derper's drop-from-head does).
 */
export class PacketRing {
  private slots: Array<Buffer | undefined> | null = null;
  private head = 0;
  length = 0;

  constructor(readonly capacity: number) {}

  /** Adds `frame`; returns the frame evicted to make room, if any. */
  push(frame: Buffer): Buffer | undefined {
    // Allocated on first use: most connections never queue anything.
    const slots = (this.slots ??= new Array<Buffer | undefined>(this.capacity));
    let evicted: Buffer | undefined;
    if (this.length === this.capacity) {
      evicted = slots[this.head];
      slots[this.head] = frame;
      this.head = (this.head + 1) % this.capacity;
      return evicted;
    }
    slots[(this.head + this.length) % this.capacity] = frame;
    this.length++;
    return undefined;
  }

  shift(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const slots = this.slots!;
    const frame = slots[this.head];
    slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return frame;
  }

  /** Empties the ring, returning what it held (oldest first). */
  clear(): Buffer[] {
    const out: Buffer[] = [];
    for (let f = this.shift(); f; f = this.shift()) out.push(f);
    this.slots = null;
    this.head = 0;
    return out;
  }
}
