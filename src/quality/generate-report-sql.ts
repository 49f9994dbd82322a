/**
 * Writes athena/data_quality_daily.sql from the example catalog's expectations
 * (./report-sql.ts): `npx tsx src/quality/generate-report-sql.ts`. Run it after
 * changing an expectation; test/quality/report-sql.test.ts fails until then.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { exampleCatalog } from '../features/catalog.js';
import { ATHENA_DIR } from '../query/sql-library.js';
import { DATA_QUALITY_QUERY, dataQualitySql } from './report-sql.js';

const file = path.join(ATHENA_DIR, `${DATA_QUALITY_QUERY}.sql`);
writeFileSync(file, dataQualitySql(exampleCatalog));
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
