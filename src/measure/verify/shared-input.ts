/**
 * Sample data in shared memory. Verify reads .npy samples into SharedArrayBuffers taken from a pool
 * (SharedBufferPool), so that a sample crosses to the session thread as a view of the same memory — a structured-clone
 * copy of each input (serialised on this thread, allocated again on the other) cost more than the run it fed on a
 * small model — and so that reading a sample again reuses memory already mapped instead of new memory (on a VM, each
 * new page's first touch is a page fault; a fresh 600 KB sample cost ~1.7 ms against ~0.15 ms re-read into a reused
 * buffer). onnxruntime-node refuses shared memory as tensor data, so a shared input is copied into a buffer of the
 * session's own (the session thread's, which runs one request at a time) just before a run, reused from run to run
 * while no other run of that session is under way (onnxruntime reads inputs only during the run).
 */

type Typed = Float32Array | Float64Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** True when a typed array's memory is a SharedArrayBuffer. */
export function isShared(data: unknown): boolean {
  return ArrayBuffer.isView(data) && typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
}

/** One thread's buffers for shared inputs, by input name. */
export class OwnedInputs {
  private readonly buffers = new Map<string, Typed>();

  /** `data` itself, or a copy of it in this thread's buffer for `name` (valid until the next call for that name). */
  own<T>(name: string, data: T): T {
    if (!isShared(data)) return data;
    const view = data as unknown as Typed;
    let buffer = this.buffers.get(name);
    if (!buffer || buffer.constructor !== view.constructor || buffer.length !== view.length) {
      buffer = new (view.constructor as new (n: number) => Typed)(view.length);
      this.buffers.set(name, buffer);
    }
    (buffer as Float32Array).set(view as Float32Array);
    return buffer as unknown as T;
  }
}

/** Free buffers kept per size: more than the samples a verification has in flight at once. */
const FREE_PER_SIZE = 256;

/**
 * Shared buffers handed out by size and given back when every run that reads them has ended (a given-back buffer is
 * overwritten by the next sample read into it).
 */
export class SharedBufferPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  /** A buffer of exactly `size` bytes: a free one of that size, or a new one. */
  take(size: number): Buffer {
    return Buffer.from(this.free.get(size)?.pop() ?? new SharedArrayBuffer(size));
  }

  /** Gives back the memory of a buffer `take` returned (non-shared memory is ignored). */
  give(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof SharedArrayBuffer)) return;
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    if (list.length < FREE_PER_SIZE && !list.includes(buffer)) list.push(buffer);
  }
}
