/**
 * One archive for a whole checkpoint: POSIX ustar, so `tar -xf` gives back a directory that
 * `loadCheckpoint(trainer, dir)` reads, and a directory packed with `tar -cf` loads here.
 */
import { AdapterError } from "../errors.js";
import { checkCheckpointFileName, fileMap, type CheckpointFiles } from "./store.js";

/** Options of `checkpointToTar`. */
export interface CheckpointTarOptions {
  /** The folder the files sit in inside the archive (default `"checkpoint"`; `""` for none). */
  readonly directory?: string;
}

const BLOCK = 512;
const ascii = new TextEncoder();
const text = new TextDecoder();

const writeField = (header: Uint8Array, offset: number, length: number, value: string): void => {
  const bytes = ascii.encode(value);
  if (bytes.length > length)
    throw new AdapterError("checkpoint", `tar: ${JSON.stringify(value)} does not fit a ${length}-byte field`);
  header.set(bytes, offset);
};
const octal = (value: number, digits: number): string => value.toString(8).padStart(digits, "0");

const tarHeader = (name: string, size: number, type: "0" | "5"): Uint8Array => {
  const header = new Uint8Array(BLOCK);
  const encoded = ascii.encode(name);
  let prefix = "";
  let short = name;
  if (encoded.length > 100) {
    // ustar splits a long name at a '/' into prefix (155 bytes) + name (100 bytes).
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = cut > 0 ? name.slice(0, cut) : "";
    short = cut > 0 ? name.slice(cut + 1) : name;
  }
  writeField(header, 0, 100, short);
  writeField(header, 100, 8, `${type === "5" ? "0000755" : "0000644"}\0`);
  writeField(header, 108, 8, "0000000\0");
  writeField(header, 116, 8, "0000000\0");
  writeField(header, 124, 12, `${octal(size, 11)}\0`);
  writeField(header, 136, 12, `${octal(0, 11)}\0`); // mtime 0: the same files give the same archive
  writeField(header, 156, 1, type);
  writeField(header, 257, 6, "ustar\0");
  writeField(header, 263, 2, "00");
  writeField(header, 345, 155, prefix);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  writeField(header, 148, 8, `${octal(sum, 6)}\0 `);
  return header;
};

/**
 * Packs a checkpoint's files into one POSIX tar archive, under `directory/` (default
 * `checkpoint/`), with directory entries and fixed dates (the same files give the same bytes).
 *
 * @example
 * const tar = checkpointToTar(store.files()); // `tar -xf` it: checkpoint/manifest.json, checkpoint/model/...
 */
export function checkpointToTar(files: CheckpointFiles, options: CheckpointTarOptions = {}): Uint8Array<ArrayBuffer> {
  const map = fileMap(files);
  const root = (options.directory ?? "checkpoint").replace(/\/+$/, "");
  if (root !== "") checkCheckpointFileName(root);
  const full = (name: string) => (root === "" ? name : `${root}/${name}`);
  const folders = new Set<string>(root === "" ? [] : [root]);
  for (const name of map.keys()) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(full(parts.slice(0, i).join("/")));
  }
  const chunks: Uint8Array[] = [...folders].sort().map((folder) => tarHeader(`${folder}/`, 0, "5"));
  for (const [name, bytes] of map) {
    chunks.push(tarHeader(full(name), bytes.length, "0"), bytes);
    const pad = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    if (pad > 0) chunks.push(new Uint8Array(pad));
  }
  chunks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const readString = (bytes: Uint8Array, offset: number, length: number): string => {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return text.decode(end < 0 ? field : field.subarray(0, end));
};

/**
 * Unpacks a tar archive of a checkpoint (from `checkpointToTar`, or `tar -cf` of a checkpoint
 * directory; ustar, GNU and pax names are understood) into its files. When the archive holds one
 * folder with the checkpoint inside (`checkpoint/manifest.json`), that folder is stripped.
 * Throws `AdapterError("checkpoint")` on a damaged archive.
 *
 * @example
 * const store = memoryCheckpointStore(checkpointFromTar(new Uint8Array(await response.arrayBuffer())));
 */
export function checkpointFromTar(archive: Uint8Array): Map<string, Uint8Array<ArrayBuffer>> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  let offset = 0;
  let longName: string | undefined;
  while (offset < archive.length) {
    if (offset + BLOCK > archive.length)
      throw new AdapterError("checkpoint", `tar: the archive ends inside a header (cut short)`);
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const stored = Number.parseInt(readString(header, 148, 8).trim() || "NaN", 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (stored !== sum)
      throw new AdapterError("checkpoint", `tar: damaged header at byte ${offset} (not a tar archive, or cut short)`);
    const size = Number.parseInt(readString(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] as number);
    const start = offset + BLOCK;
    if (start + size > archive.length)
      throw new AdapterError("checkpoint", `tar: the archive ends inside an entry (cut short)`);
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text.decode(data));
      if (path !== null) longName = path[1];
      continue;
    }
    if (type === "g") continue;
    const prefix = readString(header, 345, 155);
    const name = longName ?? (prefix === "" ? readString(header, 0, 100) : `${prefix}/${readString(header, 0, 100)}`);
    longName = undefined;
    if (type === "5") continue;
    if (type !== "0" && type !== "\0" && type !== "7")
      throw new AdapterError("checkpoint", `tar: entry ${name} is not a plain file (type ${JSON.stringify(type)})`);
    files.set(checkCheckpointFileName(name.replace(/^(\.\/)+/, "")), new Uint8Array(data));
  }
  if (!files.has("manifest.json")) {
    const tops = new Set([...files.keys()].map((name) => name.split("/")[0]));
    const [top] = tops;
    if (tops.size === 1 && top !== undefined && files.has(`${top}/manifest.json`)) {
      return new Map([...files].map(([name, bytes]) => [name.slice(top.length + 1), bytes]));
    }
  }
  return files;
}
