/**
 * Models behind the feature API: the models bucket (versioned artifacts and
 * their aliases, src/models/registry.ts) and the predict function, routed on
 * the feature API's REST API with the same API key, usage plan, throttle and
 * (where the environment says so) IAM authorization:
 *
 *   POST /predict   score entities with a model's current (or a pinned) version
 *   GET  /health    loaded models, online-store reachability, prediction-log counts
 *
 * The function reads features with the feature API's grant, reads `models/`
 * of its bucket, and writes its prediction log to the ingest stream (the
 * lake writer lands it in the `predictions` table). Its integration streams
 * the response, so the log's flush runs after the caller has its answer but
 * within the invocation (lambdas/predict).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { LambdaIntegration, type Method, ResponseTransferMode } from 'aws-cdk-lib/aws-apigateway';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MODELS_PREFIX } from '../../src/models/registry.js';
import type { PredictSettings } from '../config/environments.js';
import { ARCHITECTURE, secureBucketProps } from './defaults.js';
import type { FeatureApi } from './feature-api.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import type { IngestStream } from './ingest-stream.js';
import { acknowledgePrefixWildcard } from './nag.js';
import type { OnlineStore } from './online-store.js';
import { OnnxRuntimeLayer } from './onnx-runtime-layer.js';

export const PREDICT_PATH = '/predict';
export const HEALTH_PATH = '/health';

export interface ModelServingProps extends FunctionOwnerProps {
  readonly settings: PredictSettings;
  /** The REST API (and its access rules) the routes are added to. */
  readonly api: FeatureApi;
  readonly store: OnlineStore;
  /** Where the prediction log goes: the ingest stream, read by the lake writer. */
  readonly ingest: IngestStream;
  /** Receives the models bucket's server access logs. */
  readonly accessLogBucket: IBucket;
  readonly removalPolicy: RemovalPolicy;
}

export class ModelServing extends Construct {
  /** Versioned model artifacts: `models/<name>/<version>/…` and `models/<name>/{current,shadow}.json`. */
  public readonly bucket: Bucket;
  public readonly function: FeatureFunction;
  /** onnxruntime-node for models published with `featurelake publish-model`. */
  public readonly onnxRuntime: OnnxRuntimeLayer;
  public readonly predictMethod: Method;
  public readonly healthMethod: Method;

  constructor(scope: Construct, id: string, props: ModelServingProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...secureBucketProps(props.removalPolicy),
      // An artifact overwritten by mistake, or an alias moved, can be recovered.
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'models/',
      lifecycleRules: [
        { id: 'expire-old-object-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // Models trained elsewhere run on onnxruntime-node: its native library comes from a layer of the function's
    // architecture (docs/models.md has its sizes), loaded only when an ONNX model is.
    this.onnxRuntime = new OnnxRuntimeLayer(this, 'OnnxRuntime', {
      architecture: ARCHITECTURE,
      removalPolicy: props.removalPolicy,
    });
    this.function = new FeatureFunction(this, 'Function', {
      name: 'predict',
      externalModules: OnnxRuntimeLayer.EXTERNAL_MODULES,
      layers: [this.onnxRuntime],
      ...ownerFunctionProps(props),
      memorySize: props.settings.memoryMb,
      timeout: Duration.seconds(props.settings.timeoutSeconds),
      environment: {
        TABLE_NAME: props.store.table.tableName,
        MODELS_BUCKET: this.bucket.bucketName,
        PREDICTION_STREAM_NAME: props.ingest.stream.streamName,
        MODEL_REFRESH_SECONDS: String(props.settings.modelRefreshSeconds),
      },
    });
    props.store.grantReadFeatures(this.function);
    // Reads artifacts and aliases; ListBucket so a missing alias or version is a 404 (NoSuchKey), not a 403.
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${MODELS_PREFIX}*`)],
    });
    Grant.addToPrincipal({ grantee: this.function, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    acknowledgePrefixWildcard(this, this.function, this.bucket, MODELS_PREFIX, 'artifacts are keyed by model name and version');
    props.ingest.grantProduce(this.function);

    // Streamed: API Gateway sends the response as the function writes it; the log flush follows, off the caller's path.
    const integration = new LambdaIntegration(this.function, {
      proxy: true,
      allowTestInvoke: false,
      responseTransferMode: ResponseTransferMode.STREAM,
      timeout: Duration.seconds(Math.min(29, props.settings.timeoutSeconds)),
    });
    const root = props.api.api.root;
    this.predictMethod = root.addResource('predict').addMethod('POST', integration, {
      ...props.api.methodAccess,
      operationName: 'Predict',
    });
    this.healthMethod = root.addResource('health').addMethod('GET', integration, {
      ...props.api.methodAccess,
      operationName: 'Health',
    });
    props.api.acknowledgeMethodChecks([this.predictMethod, this.healthMethod]);
  }
}
