// The QuickJS wasm modules the constitution's hook calls run in (see constitution.ts),
// kept ready in pools, one per memory limit.
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import { ConstitutionError } from './constitution-error.js';

/**
 * The QuickJS wasm modules hooks run in, one pool per memory limit. Two host-side bounds
 * back QuickJS's own:
 * - Memory: this QuickJS build cannot measure its allocations (no malloc_usable_size), so
 *   its limit catches single large allocations but not many small ones. The module's wasm
 *   memory therefore gets a maximum: its initial size (static data, stack) plus the limit;
 *   past it malloc fails and QuickJS throws out of memory.
 * - Stack: QuickJS's stack limit counts its own stack, but some native recursion (deep
 *   JSON, say) exhausts the host's stack first; the wasm then unwinds mid-operation and
 *   that module cannot be trusted again. So a spare module is kept ready: a broken one is
 *   dropped, the spare takes over at once, and a new spare is made in the background.
 */
export class SandboxModules {
  private active: QuickJSWASMModule | undefined;
  private spare: QuickJSWASMModule | undefined;
  private making: Promise<void> | undefined;

  constructor(private readonly memoryBytes: number) {}

  async ready(): Promise<void> {
    while (!this.active || !this.spare) await this.make();
  }

  current(): QuickJSWASMModule {
    if (!this.active) throw new ConstitutionError('the constitution sandbox is being rebuilt after a failure; try again');
    return this.active;
  }

  discard(module: QuickJSWASMModule): void {
    if (this.active !== module) return;
    this.active = this.spare;
    this.spare = undefined;
    this.ready().catch(() => undefined); // a failure to make one shows at the next load or call
  }

  private make(): Promise<void> {
    this.making ??= this.newModule()
      .then((module) => {
        if (!this.active) this.active = module;
        else this.spare = module;
      })
      .finally(() => {
        this.making = undefined;
      });
    return this.making;
  }

  private newModule(): Promise<QuickJSWASMModule> {
    const maximum = WASM_INITIAL_PAGES + Math.ceil(this.memoryBytes / WASM_PAGE_BYTES);
    const wasmMemory = new WebAssembly.Memory({ initial: WASM_INITIAL_PAGES, maximum });
    return newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory }));
  }
}

// A global of Node that the project's lib settings (no DOM) do not declare.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };

const WASM_PAGE_BYTES = 64 * 1024;
/** the QuickJS build's INITIAL_MEMORY (16 MiB) */
const WASM_INITIAL_PAGES = 256;

const pools = new Map<number, SandboxModules>();

export function modulesFor(memoryBytes: number): SandboxModules {
  let pool = pools.get(memoryBytes);
  if (!pool) {
    pool = new SandboxModules(memoryBytes);
    pools.set(memoryBytes, pool);
  }
  return pool;
}

