/**
 * Hand-made model artifacts for tests that need a published model whose score they can compute
 * themselves: a numeric input read from a served feature, and a logistic model over such inputs.
 */
import { userClickstream } from '../../src/features/catalog.js';
import { ARTIFACT_FORMAT, type ModelArtifact, type ModelInput } from '../../src/models/artifact.js';

/** A numeric input read from a feature of user_clickstream, standardised by `mean` and `std`. */
export function clickstreamInput(feature: string, mean: number, std: number, fill = 0): ModelInput {
  return { name: feature, source: { kind: 'view', view: userClickstream.name, feature }, type: 'numeric', mean, std, fill };
}

/** P(purchase) = sigmoid(intercept + weights · encoded inputs), for user entities. */
export function logisticArtifact(
  name: string,
  inputs: readonly ModelInput[],
  weights: readonly number[],
  intercept: number,
): Omit<ModelArtifact, 'version' | 'createdAt'> {
  return {
    format: ARTIFACT_FORMAT,
    name,
    entity: 'user',
    inputs: [...inputs],
    model: { type: 'logistic', weights: [...weights], intercept },
    decision: { threshold: 0.5, positive: 'purchase', negative: 'no_purchase' },
    parameters: {},
    metrics: [],
  };
}
