// Plain file access for command-line tools (certificates, receipts, configuration).
import { readFile, writeFile } from 'node:fs/promises';

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

export async function writeText(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}
