/**
 * `import()` of what is only known at run time (a scenario file, tsx). The bundled CLI runs as one vm.Script
 * compiled from a code cache (scripts/cli-loader.mjs), and on Node 20 an `import()` in a function restored from
 * that cache throws "A dynamic import callback was not specified": the loader passes its own `import()` in as
 * `import.meta.importModule`, and everything else (tsc's dist/, tsx) has the real one.
 */
declare global {
  interface ImportMeta {
    /** Set by the bundled CLI's loader only. */
    importModule?: (specifier: string) => Promise<unknown>;
  }
}

export function importModule<T = Record<string, unknown>>(specifier: string): Promise<T> {
  const viaLoader = import.meta.importModule;
  return (viaLoader ? viaLoader(specifier) : import(specifier)) as Promise<T>;
}
