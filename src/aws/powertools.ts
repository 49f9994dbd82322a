/**
 * Powertools for AWS Lambda, configured once for every featurelake function:
 * the service name (POWERTOOLS_SERVICE_NAME, else the function's own), the
 * log level, and metrics in the `featurelake` namespace with the environment
 * as a dimension.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Env } from './env.js';

export function powertools(env: Env, functionName: string): { logger: Logger; metrics: Metrics } {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? functionName;
  return {
    logger: new Logger({ serviceName, logLevel: (env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as 'INFO' }),
    metrics: new Metrics({
      serviceName,
      namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'featurelake',
      defaultDimensions: { environment: env.FEATURELAKE_ENV ?? 'unknown' },
    }),
  };
}
