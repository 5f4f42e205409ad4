/**
 * Sample data in shared memory. Verify reads .npy samples into SharedArrayBuffers (fs-util readRegularFile
 * `shared`), so that a sample crosses to the session thread as a view of the same memory: a structured-clone copy of
 * each input (serialised on this thread, allocated again on the other) cost more than the run it fed on a small model.
 * onnxruntime-node refuses shared memory as tensor data, so each thread copies a shared input into a buffer of its own
 * just before a run, reused from run to run (a thread runs one model at a time; onnxruntime reads inputs only during
 * the run).
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
