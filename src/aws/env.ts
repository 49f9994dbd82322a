/**
 * The one way configuration is read from environment variables: missing or
 * malformed values fail loudly, naming the variable.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function numberEnv(env: Env, name: string, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new Error(`environment variable ${name} is not set`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`environment variable ${name} must be a number, got "${raw}"`);
  return value;
}

/** A variable that must be one of a few values (compression, partitioning). */
export function oneOfEnv<T extends string>(env: Env, name: string, allowed: readonly T[]): T {
  const value = requireEnv(env, name);
  if (!allowed.includes(value as T))
    throw new Error(`environment variable ${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}
