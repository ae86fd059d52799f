/**
 * A minimal POSIX ustar writer: regular files only, paths up to 100 bytes (the playground's run
 * folders are short). `tar -xf run.tar` unpacks it into the folder the CLI would have written.
 */

const BLOCK = 512;

const writeString = (block: Uint8Array, offset: number, length: number, text: string): void => {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new RangeError(`tar: "${text}" is longer than ${length} bytes`);
  block.set(bytes, offset);
};

/** An octal field of `length` bytes: digits, then a NUL. */
const writeOctal = (block: Uint8Array, offset: number, length: number, value: number): void => {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
};

/** The header block of one regular file. */
const header = (path: string, size: number, mtime: number): Uint8Array => {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, path);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  block[156] = 0x30; // '0': regular file
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  const sum = block.reduce((acc, byte) => acc + byte, 0);
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
};

/**
 * A tar archive of `files` (path → bytes), in the given order.
 *
 * @example
 * const tar = tarArchive(new Map([["run/log.jsonl", bytes]]));
 */
export const tarArchive = (files: ReadonlyMap<string, Uint8Array>, mtime = Math.floor(Date.now() / 1000)): Uint8Array => {
  const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  let total = 2 * BLOCK;
  for (const bytes of files.values()) total += BLOCK + padded(bytes.length);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const [path, bytes] of files) {
    out.set(header(path, bytes.length, mtime), offset);
    offset += BLOCK;
    out.set(bytes, offset);
    offset += padded(bytes.length);
  }
  return out; // two zero blocks end the archive (already zero)
};
