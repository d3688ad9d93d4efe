/**
 * A construct's settings: its props over its DEFAULTS. A prop passed as `undefined` takes
 * the default too, because bin/app.ts passes every context value, set or not. Keys of
 * DEFAULTS that are no prop are settings the construct fixes (documented beside them).
 */
export type Settings<P, D> = Omit<P, keyof D> & { readonly [K in keyof D]-?: K extends keyof P ? Exclude<P[K], undefined> : D[K] };

export function withDefaults<P extends object, D extends { readonly [K in keyof P]?: P[K] }>(props: P, defaults: D): Settings<P, D> {
  const given = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as Settings<P, D>;
}
