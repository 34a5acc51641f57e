// ESM resolution for cold-start-child.cjs, which as CommonJS has no import.meta.resolve of its own.
/** Resolves `specifier` as an ES module of this folder would, without loading it. */
export const resolve = (specifier) => import.meta.resolve(specifier);
