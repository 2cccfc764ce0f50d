import { RerankError } from "../../errors.js";
import type { ChunkSpan } from "../../scorers/cross_encoder.js";

/**
 * A late-interaction model's stored document: one vector per kept token, for each window of the document (one
 * window when the document is read whole), packed compactly into bytes so that any LangChain `BaseStore<string,
 * Uint8Array>` (in memory, `LocalFileStore`, Redis) holds it.
 *
 * Bytes per token at dimension d: `float32` 4·d, `float16` 2·d, `int8` d + 4 (one fp32 scale per vector, the
 * largest absolute component over 127). At d = 96 (answerai-colbert-small-v1) 1,000 tokens take 384,000, 192,000
 * and 100,000 bytes.
 */
export type VectorPrecision = "float32" | "float16" | "int8";
export const VECTOR_PRECISIONS: readonly VectorPrecision[] = ["float32", "float16", "int8"];

/** One window's token vectors, as stored: float32 and float16 decoded to floats, int8 kept as integers with scales. */
export interface TokenVectors {
  count: number;
  dim: number;
  /** `count × dim` components, row-major. */
  data: Float32Array | Int8Array;
  /** int8 only: each vector's scale (component = data × scale). */
  scales?: Float32Array;
}

export interface StoredWindow {
  /** Where the window lies in the document; absent when the document was read whole. */
  span?: ChunkSpan;
  vectors: TokenVectors;
}

const MAGIC = [0x4c, 0x49]; // "LI"
const VERSION = 1;
const CODES: Record<VectorPrecision, number> = { float32: 0, float16: 1, int8: 2 };
const NO_SPAN = 0xffffffff;
const HEADER = 12;
const WINDOW_HEADER = 12;

/** Bytes one token's vector takes at `precision`. */
export function bytesPerToken(dim: number, precision: VectorPrecision): number {
  return precision === "float32" ? 4 * dim : precision === "float16" ? 2 * dim : dim + 4;
}

function payloadBytes(count: number, dim: number, precision: VectorPrecision): number {
  const bytes = count * bytesPerToken(dim, precision);
  return bytes + (-bytes & 3); // each window starts 4-aligned
}

/** Packs windows of float vectors (`count × dim` each) at `precision`. */
export function packWindows(
  windows: readonly { span?: ChunkSpan; data: Float32Array; count: number }[],
  dim: number,
  precision: VectorPrecision,
): Uint8Array {
  let size = HEADER;
  for (const w of windows) size += WINDOW_HEADER + payloadBytes(w.count, dim, precision);
  const buffer = new ArrayBuffer(size);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  bytes.set(MAGIC, 0);
  bytes[2] = VERSION;
  bytes[3] = CODES[precision];
  view.setUint32(4, dim, true);
  view.setUint32(8, windows.length, true);
  let offset = HEADER;
  for (const { span, data, count } of windows) {
    view.setUint32(offset, span?.start ?? NO_SPAN, true);
    view.setUint32(offset + 4, span?.end ?? NO_SPAN, true);
    view.setUint32(offset + 8, count, true);
    offset += WINDOW_HEADER;
    const n = count * dim;
    if (precision === "float32") new Float32Array(buffer, offset, n).set(data.subarray(0, n));
    else if (precision === "float16") {
      const out = new Uint16Array(buffer, offset, n);
      for (let i = 0; i < n; i++) out[i] = toHalf(data[i]!);
    } else {
      const scales = new Float32Array(buffer, offset, count);
      const out = new Int8Array(buffer, offset + 4 * count, n);
      for (let t = 0; t < count; t++) {
        let largest = 0;
        for (let k = t * dim; k < (t + 1) * dim; k++) largest = Math.max(largest, Math.abs(data[k]!));
        const scale = largest / 127;
        scales[t] = scale;
        if (scale > 0) for (let k = t * dim; k < (t + 1) * dim; k++) out[k] = Math.round(data[k]! / scale);
      }
    }
    offset += payloadBytes(count, dim, precision);
  }
  return bytes;
}

/** What a stored entry must be to be scored: the scorer's width and precision, and what its text allows. */
export interface StoredShape {
  dim: number;
  precision: VectorPrecision;
  /** Most vectors a window holds (the document length in tokens). */
  maxTokens: number;
  /** Most windows a document has. */
  maxWindows: number;
  /** The text's length: no window ends past it. */
  textLength: number;
}

// How far a stored vector's squared length may be from 1 (vectors are stored at unit length) after packing.
const UNIT_TOLERANCE: Record<VectorPrecision, number> = { float32: 1e-3, float16: 1e-2, int8: 0.2 };

/**
 * Reads what `packWindows` wrote; anything else is a clear error: another tool's bytes, a cut-short file, and, when
 * `shape` is given, an entry that could not come from the scorer for that text (another width or precision, an
 * empty or overlong window, a window past the text's end, a vector that is not finite or not of unit length).
 */
export function unpackWindows(value: Uint8Array, shape?: StoredShape): { precision: VectorPrecision; dim: number; windows: StoredWindow[] } {
  const fail = (why: string) =>
    new RerankError(
      `Stored token vectors are unreadable (${why}): the store holds bytes this version did not write. Clear the entry or use a fresh store.`,
    );
  if (!(value instanceof Uint8Array) || value.byteLength < HEADER || value[0] !== MAGIC[0] || value[1] !== MAGIC[1]) throw fail("no header");
  if (value[2] !== VERSION) throw fail(`format version ${value[2]}`);
  const precision = VECTOR_PRECISIONS.find((p) => CODES[p] === value[3]);
  if (precision === undefined) throw fail(`precision code ${value[3]}`);
  // Typed views need aligned offsets, and a Buffer (a file store's, a pooled Redis client's) may sit at any offset
  // of its pool: copy it into a fresh buffer. (Buffer's slice() is a view at the same offset, not a copy.)
  const bytes = value.byteOffset % 4 === 0 ? value : new Uint8Array(value);
  const { buffer, byteOffset } = bytes;
  const view = new DataView(buffer, byteOffset, bytes.byteLength);
  const dim = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  if (shape !== undefined) {
    if (precision !== shape.precision || dim !== shape.dim) throw fail(`${precision} at width ${dim}, not ${shape.precision} at ${shape.dim}`);
    if (count < 1 || count > shape.maxWindows) throw fail(`${count} windows`);
  }
  const windows: StoredWindow[] = [];
  let offset = HEADER;
  for (let w = 0; w < count; w++) {
    if (offset + WINDOW_HEADER > bytes.byteLength) throw fail("cut short");
    const start = view.getUint32(offset, true);
    const end = view.getUint32(offset + 4, true);
    const tokens = view.getUint32(offset + 8, true);
    offset += WINDOW_HEADER;
    if (offset + payloadBytes(tokens, dim, precision) > bytes.byteLength) throw fail("cut short");
    if (shape !== undefined) {
      if (tokens < 1 || tokens > shape.maxTokens) throw fail(`a window of ${tokens} vectors`);
      // One window is the document read whole (no span); several are windows of it, each with its span.
      if ((start === NO_SPAN) !== (count === 1) || (start !== NO_SPAN && (start > end || end > shape.textLength)))
        throw fail("a window outside its text");
    }
    const { vectors, squaredLengths } = decodeVectors(buffer, byteOffset + offset, tokens, dim, precision);
    const tolerance = shape === undefined ? Number.POSITIVE_INFINITY : UNIT_TOLERANCE[precision];
    // A NaN fails both comparisons, so it is refused too.
    if (!squaredLengths.every((s) => Number.isFinite(s) && Math.abs(s - 1) <= tolerance)) throw fail("a vector not finite or not of unit length");
    windows.push(start === NO_SPAN ? { vectors } : { span: { start, end }, vectors });
    offset += payloadBytes(tokens, dim, precision);
  }
  // Anything after the last window (a token count lowered by hand, two entries run together) is damage.
  if (offset !== bytes.byteLength) throw fail(`${bytes.byteLength - offset} bytes past the last window`);
  return { precision, dim, windows };
}

/** A window's vectors (float16 decoded to floats) and each one's squared length, in one pass over the payload. */
function decodeVectors(
  buffer: ArrayBufferLike,
  at: number,
  count: number,
  dim: number,
  precision: VectorPrecision,
): { vectors: TokenVectors; squaredLengths: Float64Array } {
  const n = count * dim;
  const squaredLengths = new Float64Array(count);
  if (precision === "float16") {
    const half = new Uint16Array(buffer, at, n);
    const table = halfTable();
    const data = new Float32Array(n);
    for (let t = 0, i = 0; t < count; t++) {
      let sum = 0;
      for (const end = i + dim; i < end; i++) sum += (data[i] = table[half[i]!]!) * data[i]!;
      squaredLengths[t] = sum;
    }
    return { vectors: { count, dim, data }, squaredLengths };
  }
  const scales = precision === "int8" ? new Float32Array(buffer, at, count) : undefined;
  const data = precision === "int8" ? new Int8Array(buffer, at + 4 * count, n) : new Float32Array(buffer, at, n);
  for (let t = 0, i = 0; t < count; t++) {
    let sum = 0;
    for (const end = i + dim; i < end; i++) sum += data[i]! * data[i]!;
    const scale = scales?.[t] ?? 1;
    squaredLengths[t] = scale >= 0 ? sum * scale * scale : Number.NaN; // a negative scale would flip the vector
  }
  return { vectors: scales === undefined ? { count, dim, data } : { count, dim, data, scales }, squaredLengths };
}

/** A matrix product `a (rows × inner) · b (inner × cols)`, row-major: onnxruntime's MatMul through transformers.js. */
export type MatMul = (a: Float32Array, rows: number, inner: number, b: Float32Array, cols: number) => Promise<Float32Array>;

/**
 * MaxSim (ColBERT's late interaction, PyLate's `colbert_scores`) of one query against many documents: for each
 * query vector the largest dot product with any of a document's vectors, summed over the query's vectors. Only a
 * document's own vectors take part (no zero padding).
 *
 * Every document's vectors are stacked into one matrix and multiplied by the query's in one onnxruntime MatMul
 * (MaxSim over 100 stored candidates takes 6–8 ms on 2 cores, against 13–28 ms for a blocked JavaScript loop:
 * docs/benchmarks.md, "Late interaction"), then each document's block is
 * reduced to its maxima. int8 vectors are scaled back to floats as they are stacked.
 */
export async function maxSimScores(query: Float32Array, queryCount: number, docs: readonly TokenVectors[], matmul: MatMul): Promise<number[]> {
  const dim = docs[0]?.dim ?? 0;
  const rows = docs.reduce((n, d) => n + d.count, 0);
  if (rows === 0 || queryCount === 0) return docs.map(() => 0);
  const stacked = new Float32Array(rows * dim);
  let at = 0;
  for (const { count, data, scales } of docs) {
    if (scales === undefined) stacked.set(data.subarray(0, count * dim), at);
    else for (let k = 0; k < count * dim; k++) stacked[at + k] = data[k]! * scales[Math.floor(k / dim)]!;
    at += count * dim;
  }
  const queryT = new Float32Array(dim * queryCount);
  for (let q = 0; q < queryCount; q++) for (let k = 0; k < dim; k++) queryT[k * queryCount + q] = query[q * dim + k]!;
  const dots = await matmul(stacked, rows, dim, queryT, queryCount);
  const best = new Float64Array(queryCount);
  let row = 0;
  return docs.map(({ count }) => {
    if (count === 0) return 0;
    best.fill(Number.NEGATIVE_INFINITY);
    for (let t = row; t < row + count; t++) {
      const o = t * queryCount;
      for (let q = 0; q < queryCount; q++) if (dots[o + q]! > best[q]!) best[q] = dots[o + q]!;
    }
    row += count;
    let total = 0;
    for (let q = 0; q < queryCount; q++) total += best[q]!;
    return total;
  });
}

// IEEE 754 binary16, round to nearest even (as numpy's astype(float16)).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (rest > midpoint || (rest === midpoint && (half & 1) === 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half);
}

let table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (table !== undefined) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    table[h] =
      exponent === 0
        ? sign * mantissa * 2 ** -24
        : exponent === 0x1f
          ? mantissa !== 0
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}
