// The constitution a new service gets unless told otherwise: readable JavaScript files in
// ./constitution/, concatenated in this order (later files use what earlier ones define).
import { fileURLToPath } from 'node:url';
import { readText } from '../host/files.js';

const FILES = ['actions.js', 'validate.js', 'resolve.js', 'apply.js'];

export async function defaultConstitution(): Promise<string> {
  const parts = await Promise.all(FILES.map((file) => readText(fileURLToPath(new URL(`./constitution/${file}`, import.meta.url)))));
  return parts.join('\n');
}
