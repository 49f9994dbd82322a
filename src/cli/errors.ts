/**
 * The CLI's exit codes, carried by errors so commands can simply throw:
 * 2 = the invocation is wrong (fix the arguments or the input), 1 = the
 * command was right but the world was not (endpoint down, records rejected).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flags, arguments or input: exit 2. */
export const usageError = (message: string): CliError => new CliError(message, 2);

/** An endpoint, a service or the data failed us: exit 1. */
export const runtimeError = (message: string): CliError => new CliError(message, 1);

/** Network failures that mean "nothing is listening there" rather than "it answered no". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The network error code behind `error` (walking `cause`), or the timeout that aborted it, if any. */
export function unreachableReason(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    // AggregateError (happy eyeballs: one error per address tried).
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) e = errors[0] as typeof e;
    else e = e.cause as typeof e;
  }
  return undefined;
}
