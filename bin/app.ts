#!/usr/bin/env -S npx tsx
/**
 * The CDK app: one featurelake stack for the environment named by the `env`
 * context (`cdk synth|deploy -c env=dev|staging|prod`, default dev). Wiring
 * only: lib/featurelake-app.ts builds it, lib/config/environments.ts says what
 * differs per environment and rejects an unknown name.
 */
import { App } from 'aws-cdk-lib';
import { createApp } from '../lib/featurelake-app.js';

// The CLI hands `-c env=…` to every App; read it from one that never synthesizes.
const envName = String(new App({ autoSynth: false }).node.tryGetContext('env') ?? 'dev');
createApp({ envName }).app.synth();
