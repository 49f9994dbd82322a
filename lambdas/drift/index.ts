import { exampleCatalog } from '../../src/features/catalog.js';
import { createHandler } from './handler.js';

export const handler = createHandler(process.env, { catalog: exampleCatalog });
