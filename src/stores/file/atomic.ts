import { copyFile, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Makes a rename or an unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/**
 * Replaces `path` with `content` atomically: a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory. Readers
 * see the old file or the new one, never a mix; a crash leaves one of the two.
 * With `backup`, the previous version is kept next to it as `<path>.bak`.
 */
export async function writeFileAtomic(path: string, content: string, options: { backup?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (options.backup) {
    try {
      await copyFile(path, `${path}.bak`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}

/**
 * Writes `text` at byte `offset` of an append-only file, cutting off anything
 * after `offset` first (the tail of a write that never committed), and fsyncs.
 */
export async function appendAt(path: string, offset: number, text: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    handle = await open(path, 'w+');
    await fsyncDir(dirname(path));
  }
  try {
    await handle.truncate(offset);
    const bytes = Buffer.from(text, 'utf8');
    await handle.write(bytes, 0, bytes.length, offset);
    await handle.sync();
    return offset + bytes.length;
  } finally {
    await handle.close();
  }
}

/** Removes a file (and its backup) durably; missing is fine. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.bak`, { force: true });
  await fsyncDir(dirname(path)).catch(() => undefined);
}
