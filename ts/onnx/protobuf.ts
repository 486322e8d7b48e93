// Protocol-buffers wire format: a reader for decoding and a writer for encoding, enough for ONNX.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';

/** Wire types of the protobuf encoding. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/**
 * Reads one message's fields in order. Nested messages are read by `sub()`, which returns a
 * reader over the bytes of the length-delimited field just read (no copy).
 */
export class ProtoReader {
  private pos: number;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, private readonly what: string,
              start = 0, private readonly end = bytes.length) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean { return this.pos >= this.end; }

  private fail(detail: string): never {
    throw new IsotensorError(`${this.what}: not a valid protobuf message (${detail} at byte ${this.pos})`);
  }

  /** The next field's number and wire type. */
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) this.fail('field number 0');
    return [field, t % 8];
  }

  /** An unsigned varint as a number (exact to 2^53; larger values lose low bits). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** A varint as a signed 64-bit BigInt (int64 fields; negative values take 10 bytes). */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** An int64 field as a number (ONNX dims, attribute ints; values beyond 2^53 are clamped). */
  int64(): number {
    const v = this.varint64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
    if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    return Number(v);
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The bytes of a length-delimited field (a view into the buffer). */
  bytesField(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) this.fail(`length ${n} past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string { return new TextDecoder().decode(this.bytesField()); }

  /** A reader over the nested message in the next length-delimited field. */
  sub(what: string): ProtoReader {
    const n = this.varint();
    if (this.pos + n > this.end) this.fail(`length ${n} past the end`);
    const r = new ProtoReader(this.bytes, what, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Repeated numeric field, packed (LEN) or not: calls `read` for each element. */
  repeated(wire: number, read: (r: ProtoReader) => void): void {
    if (wire === WIRE.LEN) {
      const r = this.sub(this.what);
      while (!r.done) read(r);
    } else {
      read(this);
    }
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE.VARINT: this.varint64(); break;
      case WIRE.I64: this.pos += 8; break;
      case WIRE.LEN: this.bytesField(); break;
      case WIRE.I32: this.pos += 4; break;
      default: this.fail(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) this.fail('truncated field');
  }
}

/**
 * Writes a message. Large payloads (tensor data, nested messages) are kept as references and
 * concatenated once by finish(), so deep nesting does not copy weights at every level.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private cur: number[] = [];
  length = 0;

  private flush(): void {
    if (this.cur.length > 0) {
      this.chunks.push(Uint8Array.from(this.cur));
      this.cur = [];
    }
  }

  private bytes(u8: Uint8Array): void {
    if (u8.length < 256) {
      for (let i = 0; i < u8.length; i++) this.cur.push(u8[i]!);
    } else {
      this.flush();
      this.chunks.push(u8);
    }
    this.length += u8.length;
  }

  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) b |= 0x80;
      this.cur.push(b);
      this.length++;
    } while (n !== 0n);
    return this;
  }

  private tag(field: number, wire: number): this { return this.varint(field * 8 + wire); }

  int(field: number, v: number | bigint): this { return this.tag(field, WIRE.VARINT).varint(v); }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, WIRE.I32);
    this.bytes(b);
    return this;
  }

  raw(field: number, u8: Uint8Array): this {
    this.tag(field, WIRE.LEN).varint(u8.length);
    this.bytes(u8);
    return this;
  }

  string(field: number, s: string): this { return this.raw(field, new TextEncoder().encode(s)); }

  /** Packed repeated int64 (or int32) field. */
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const w = new ProtoWriter();
    for (const v of vs) w.varint(v);
    return this.raw(field, w.finish());
  }

  /** Packed repeated float field. */
  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.raw(field, b);
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    w.flush();
    this.tag(field, WIRE.LEN).varint(w.length);
    this.flush();
    for (const c of w.chunks) this.chunks.push(c);
    this.length += w.length;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
