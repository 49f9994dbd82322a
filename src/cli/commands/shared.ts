/** Options several commands share. */
import { Option } from 'commander';

export const DEFAULT_STATE_DIR = '.featurelake';

export function stateDirOption(): Option {
  return new Option('--state-dir <dir>', 'local stack state directory (holds local-stack.json)').default(DEFAULT_STATE_DIR);
}
