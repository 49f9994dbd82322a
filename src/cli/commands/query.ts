/**
 * `featurelake query`: run a query of the athena/ library (or any .sql file)
 * on the local lake or on Athena. `featurelake rollup`: (re)build hours of the
 * clickstream_hourly rollup.
 */
import { type Command, Option } from 'commander';
import type { Catalog } from '../../features/define.js';
import { hourStart, hoursToRollUp, rollupHour } from '../../query/rollup.js';
import {
  type BindOptions,
  bindParams,
  describeType,
  loadSqlLibrary,
  parseParamPairs,
  QueryParamError,
  resolveQuery,
} from '../../query/sql-library.js';
import { runtimeError, usageError } from '../errors.js';
import { environmentName, type LakeTarget, type LakeTargetFlags, layoutOf, resolveLakeTarget } from '../lake-target.js';
import { isoInstant } from '../options.js';
import { RESULT_FORMATS, type ResultFormat, writeResult } from '../result-format.js';
import { stateDirOption } from './shared.js';

interface QueryOptions extends LakeTargetFlags {
  param: string[];
  format: ResultFormat;
  list?: boolean;
  sql?: boolean;
}

function listLibrary(): string {
  return loadSqlLibrary()
    .map((q) => {
      const params = q.params.map(
        (p) =>
          `    --param ${p.name}=<${describeType(p.type)}>${p.optional ? ' (optional)' : ''}${p.default ? ` (default ${p.default})` : ''}  ${p.help}`,
      );
      return [`${q.name}`, `    ${q.description}`, ...params].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

/** Progress for slow engines (Athena): a line per state change on stderr. */
export function pollReporter() {
  let last = '';
  return (state: string, elapsedMs: number, bytes: number) => {
    const line = `${state.toLowerCase()} ${(elapsedMs / 1000).toFixed(0)} s, ${(bytes / 1e6).toFixed(1)} MB scanned`;
    if (state !== last) process.stderr.write(`featurelake: ${line}\n`);
    last = state;
  };
}

export async function withTarget<T>(
  catalog: Catalog,
  flags: LakeTargetFlags,
  work: (target: LakeTarget) => Promise<T>,
): Promise<T> {
  const target = await resolveLakeTarget(flags, {
    sources: catalog.sources,
    models: catalog.models ?? [],
    onPoll: pollReporter(),
  });
  try {
    return await work(target);
  } catch (error) {
    if (error instanceof QueryParamError) throw usageError(error.message);
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
    throw runtimeError(`query failed on ${target.description}: ${(error as Error).message}`);
  } finally {
    target.close();
  }
}

async function query(catalog: Catalog, nameOrFile: string | undefined, options: QueryOptions): Promise<void> {
  if (options.list) {
    process.stdout.write(listLibrary());
    return;
  }
  if (!nameOrFile) throw usageError('name a query of the library (see --list) or a .sql file');
  // A bad parameter, an unknown query or an unreadable header: all the invocation's fault.
  const invocation = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw usageError((error as Error).message);
    }
  };
  const library = invocation(() => resolveQuery(nameOrFile));
  const params = invocation(() => parseParamPairs(options.param));
  const bind = (layout: BindOptions) => invocation(() => bindParams(library, params, layout));
  // Bound once before any engine is touched, so a bad parameter fails fast; again below with the target's layout.
  const sql = bind(layoutOf(environmentName(options.env)));
  if (options.sql) {
    process.stdout.write(`${sql.trim()}\n`);
    return;
  }
  await withTarget(catalog, options, async (target) => {
    const result = await target.run(bind(target.layout));
    await writeResult(process.stdout, result.columns, result.rows, options.format);
    process.stderr.write(`featurelake: ${target.summary(result)}\n`);
  });
}

interface RollupOptions extends LakeTargetFlags {
  hour?: number;
  from?: number;
  to?: number;
}

async function rollup(catalog: Catalog, options: RollupOptions): Promise<void> {
  let hours: Date[];
  if (options.hour !== undefined) {
    if (options.from !== undefined || options.to !== undefined) throw usageError('--hour and --from/--to are exclusive');
    hours = [hourStart(options.hour)];
  } else if (options.from !== undefined) {
    const from = hourStart(options.from).getTime();
    const to = options.to ?? Date.now();
    if (to <= from) throw usageError('--to must be after --from');
    hours = hoursToRollUp(to, Math.ceil((to - from) / 3_600_000)).filter((h) => h.getTime() >= from);
  } else {
    throw usageError('say which hours: --hour TIME, or --from TIME [--to TIME]');
  }
  await withTarget(catalog, options, async (target) => {
    let total = 0;
    const started = performance.now();
    for (const [i, hour] of hours.entries()) {
      const result = await rollupHour(target, hour, target.layout);
      total += result.rows ?? 0;
      process.stderr.write(
        `featurelake: [${i + 1}/${hours.length}] ${result.hour}: ${result.rows ?? '?'} rows, replaced ${result.replacedFiles} files, ${result.elapsedMs.toFixed(0)} ms\n`,
      );
    }
    process.stdout.write(
      `rolled up ${hours.length} hours into clickstream_hourly: ${total} rows in ${((performance.now() - started) / 1000).toFixed(1)} s (${target.description})\n`,
    );
  });
}

export function lakeTargetOptions(command: Command): Command {
  return command
    .option('--lake-dir <dir>', 'a folder in the lake layout (events/<source>/dt=…) instead of the local stack')
    .option('--athena', 'run on Athena (credentials, region and AWS_ENDPOINT_URL_ATHENA from the environment)')
    .option('--env <name>', 'environment: its partitioning, and with --athena its workgroup and database (default dev)')
    .option('--workgroup <name>', 'Athena workgroup (default $FEATURELAKE_ATHENA_WORKGROUP, then featurelake-<env>)')
    .option('--database <name>', 'Glue database (default $FEATURELAKE_GLUE_DATABASE, then featurelake_<env>)')
    .addOption(stateDirOption());
}

export function registerQuery(program: Command, catalog: Catalog): void {
  lakeTargetOptions(
    program
      .command('query')
      .summary('run a query of the SQL library on the lake (local DuckDB or Athena)')
      .description(
        'Run a query of the athena/ library, or a .sql file, on the lake: locally with DuckDB over the same Parquet files, or on Athena.',
      )
      .argument('[query]', 'library query name (see --list) or path to a .sql file')
      .option('-p, --param <name=value>', 'a query parameter (repeatable)', (v: string, all: string[]) => [...all, v], [])
      .addOption(new Option('--format <format>', 'output format').choices(RESULT_FORMATS).default('table'))
      .option('--list', 'list the library: queries, descriptions and parameters')
      .option('--sql', 'print the bound SQL instead of running it'),
  ).action((nameOrFile: string | undefined, options: QueryOptions) => query(catalog, nameOrFile, options));

  lakeTargetOptions(
    program
      .command('rollup')
      .summary('rebuild hours of the clickstream_hourly rollup (idempotent)')
      .description('Roll up hours of clickstream into clickstream_hourly; an hour rolled up again replaces its previous rows.')
      .option('--hour <time>', 'the hour containing this time (ISO-8601 with zone)', isoInstant)
      .option('--from <time>', 'first hour of a backfill', isoInstant)
      .option('--to <time>', 'end of a backfill, exclusive (default now)', isoInstant)
      .option('--bucket <name>', 'with --athena: the lake bucket (default $FEATURELAKE_LAKE_BUCKET)'),
  ).action((options: RollupOptions) => rollup(catalog, options));
}
