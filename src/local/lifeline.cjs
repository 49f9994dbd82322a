/**
 * Runs an emulator's CLI script so that it cannot outlive the process that
 * started it: that parent holds the write end of this process's stdin, and the
 * operating system closes it however the parent ends (exit, uncaught
 * exception, SIGKILL, OOM kill). End of stdin → exit.
 *
 *   node [node flags] lifeline.cjs <script> [args…]
 *
 * CommonJS on purpose: the emulators are CommonJS CLIs that read process.argv
 * when they are required.
 */
'use strict';
const path = require('node:path');

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('lifeline: usage: node lifeline.cjs <script> [args…]\n');
  process.exit(2);
}
const exit = () => process.exit(0);
process.stdin.on('end', exit);
process.stdin.on('close', exit);
process.stdin.on('error', exit);
process.stdin.resume();
process.argv = [process.argv[0], path.resolve(script), ...args];
require(path.resolve(script));
