// Plain file access for command-line tools (certificates, receipts, configuration).
import { access, readFile, writeFile } from 'node:fs/promises';

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

/** `mode` for a new file (e.g. 0o600 for a key only its owner may read). */
export async function writeText(path: string, text: string, mode?: number): Promise<void> {
  await writeFile(path, text, mode === undefined ? undefined : { mode });
}

export async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
