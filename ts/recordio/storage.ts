// Where record bytes live: a Node file (read at offsets, written as they come) or memory (browsers, edge runtimes).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';

/** Bytes to read records from. `read` returns a new array the caller owns. */
export interface ByteSource {
  /** How the source is named in errors: the path, or 'the given bytes'. */
  readonly name: string;
  readonly size: number;
  read(pos: number, len: number): Uint8Array;
  close(): void;
}

/** Where written records go. */
export interface ByteSink {
  readonly name: string;
  write(b: Uint8Array): void;
  /** Everything written so far. */
  bytes(): Uint8Array;
  close(): void;
}

export const MEMORY_NAME = 'the given bytes';

export class MemorySource implements ByteSource {
  readonly name = MEMORY_NAME;
  readonly size: number;
  constructor(private readonly buf: Uint8Array) {
    this.size = buf.length;
  }
  read(pos: number, len: number): Uint8Array {
    return this.buf.slice(pos, pos + len);
  }
  close(): void {}
}

// Reads ahead this much when reading on from where the last read ended, so sequential reads of small
// records are not a system call per part; after a seek (random access by key) only a little.
const WINDOW = 1 << 18;
const SEEK_WINDOW = 1 << 14;

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  private readonly fs: typeof import('node:fs');
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;

  constructor(readonly name: string, what: string) {
    this.fs = nodeFs(`${what} of a path`, 'elsewhere pass the file\'s bytes (a Uint8Array or ArrayBuffer)');
    try {
      this.fd = this.fs.openSync(name, 'r');
      this.size = this.fs.fstatSync(this.fd).size;
    } catch (e) {
      throw new IsotensorError(`${what}: cannot open ${name} for reading: ${(e as Error).message}`, { cause: e });
    }
  }

  read(pos: number, len: number): Uint8Array {
    if (pos >= this.windowAt && pos + len <= this.windowAt + this.window.length) {
      return this.window.slice(pos - this.windowAt, pos - this.windowAt + len);
    }
    const onward = pos >= this.windowAt && pos <= this.windowAt + this.window.length;
    const ahead = onward ? WINDOW : SEEK_WINDOW;
    if (len >= ahead) return this.readAt(pos, len);
    this.window = this.readAt(pos, Math.min(ahead, this.size - pos));
    this.windowAt = pos;
    return this.window.slice(0, len);
  }

  private readAt(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = this.fs.readSync(this.fd, out, got, len - got, pos + got);
      if (n === 0) throw new IsotensorError(`RecordIO: ${this.name} ended at byte ${pos + got} while reading (was it truncated while open?)`);
      got += n;
    }
    return out;
  }

  close(): void {
    this.fs.closeSync(this.fd);
  }
}

export class MemorySink implements ByteSink {
  readonly name = 'memory';
  private chunks: Uint8Array[] = [];
  private length = 0;
  write(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  bytes(): Uint8Array {
    if (this.chunks.length !== 1) {
      const all = new Uint8Array(this.length);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.length;
      }
      this.chunks = [all];
    }
    return this.chunks[0]!.slice();
  }
  close(): void {}
}

/** A Node file, truncated when opened (as dmlc's "w" stream does) and written as records come. */
export class FileSink implements ByteSink {
  private fd: number;
  private readonly fs: typeof import('node:fs');
  constructor(readonly name: string, what: string) {
    this.fs = nodeFs(`${what} to a path`, 'elsewhere write to memory (pass null as the path) and take bytes()');
    try {
      this.fd = this.fs.openSync(name, 'w');
    } catch (e) {
      throw new IsotensorError(`${what}: cannot open ${name} for writing: ${(e as Error).message}`, { cause: e });
    }
  }
  write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += this.fs.writeSync(this.fd, b, done, b.length - done);
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.fs.readFileSync(this.name));
  }
  close(): void {
    this.fs.closeSync(this.fd);
  }
}
