// Lookups and stores by keys that come from outside (a client's mime, a notebook's metadata keys):
// own properties only. `data["constructor"]` would otherwise find Object.prototype's function, and
// `out["__proto__"] = v` would set the object's prototype instead of keeping the key (Python's
// json, which Jupyter uses, treats "__proto__" as an ordinary key).

/** The object's own value for `key`, or undefined (never one inherited from a prototype). */
export function getOwn(obj: object | null | undefined, key: string): unknown {
  return obj && Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Whether the object has `key` of its own. */
export function hasOwn(obj: object | null | undefined, key: string): boolean {
  return !!obj && Object.hasOwn(obj, key);
}

/** obj[key] = value as an ordinary own data property, also for "__proto__". */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
