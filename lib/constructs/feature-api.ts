/**
 * The feature API: API Gateway REST (v1: what LocalStack's free tier serves)
 * with a Lambda proxy integration,
 *
 *   GET  /features/{entityType}/{entityId}[?views=a,b]          one entity
 *   POST /features/{entityType}  {"ids": [...], "views": [...]}  up to 100 entities
 *
 * behind an API key and usage plan (throttle + quota per key) and, when the
 * environment says `auth: 'iam'`, SigV4 (IAM) authorization as well. Access
 * logs go to their own log group; execution logs and metrics are on for the
 * whole stage; path parameters are validated before the Lambda runs.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKey,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  type MethodOptions,
  Period,
  RequestValidator,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiSettings } from '../config/environments.js';
import { logRetention } from './defaults.js';
import { FeatureFunction, type FunctionOwnerProps, ownerFunctionProps } from './feature-function.js';
import type { OnlineStore } from './online-store.js';

/** The single-entity route, as API Gateway names its resource path. */
export const FEATURES_PATH = '/features/{entityType}/{entityId}';
/**
 * The multi-entity route (POST, ids in a JSON body). On the collection rather than `…/batch`: a static
 * sibling of `{entityId}` would win over it in API Gateway and make the id "batch" unreadable by GET.
 */
export const ENTITIES_PATH = '/features/{entityType}';

export interface FeatureApiProps extends FunctionOwnerProps {
  /** Auth mode, usage-plan throttle and quota, memory (lib/config/environments.ts). */
  readonly settings: ApiSettings;
  /** The table features are read from. */
  readonly store: OnlineStore;
  /** @default 'v1' */
  readonly stageName?: string;
  /**
   * Stage execution-log level. ERROR keeps request data out of the logs; INFO is verbose.
   * @default MethodLoggingLevel.ERROR
   */
  readonly executionLogLevel?: MethodLoggingLevel;
  /**
   * Create the account-level role API Gateway needs to write execution and access logs
   * (AWS::ApiGateway::Account, one per account and region). Turn off when the account
   * already has one configured.
   * @default true
   */
  readonly createAccountLogRole?: boolean;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
}

export class FeatureApi extends Construct {
  public readonly api: RestApi;
  public readonly function: FeatureFunction;
  /** GET /features/{entityType}/{entityId}. */
  public readonly method: Method;
  /** POST /features/{entityType}: several entities in one request and one batched read. */
  public readonly entitiesMethod: Method;
  public readonly usagePlan: UsagePlan;
  /** The key service callers send as `x-api-key`; its value via `aws apigateway get-api-key --include-value`. */
  public readonly apiKey: ApiKey;
  /** What every method of this API requires: the API key (usage plan), IAM where the environment says so, the validator. */
  public readonly methodAccess: MethodOptions;
  private readonly iam: boolean;

  constructor(scope: Construct, id: string, props: FeatureApiProps) {
    super(scope, id);
    const { settings } = props;
    const stageName = props.stageName ?? 'v1';

    this.function = new FeatureFunction(this, 'Function', {
      name: 'feature-api',
      ...ownerFunctionProps(props),
      memorySize: settings.memoryMb,
      timeout: props.timeout ?? Duration.seconds(10),
      environment: { TABLE_NAME: props.store.table.tableName },
    });
    props.store.grantReadFeatures(this.function);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention(props.logRetentionDays),
      removalPolicy: props.logRemovalPolicy,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `featurelake-${props.envName}`,
      description: `featurelake online features (${props.envName})`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      apiKeySourceType: ApiKeySourceType.HEADER,
      cloudWatchRole: props.createAccountLogRole ?? true,
      // The role is account-wide: other APIs may log through it after this stack is gone.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        loggingLevel: props.executionLogLevel ?? MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    // The stack exports the URL as ApiUrl; drop RestApi's own duplicate Endpoint output.
    this.api.node.tryRemoveChild('Endpoint');

    const validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      requestValidatorName: 'path-and-query-parameters',
      validateRequestParameters: true,
      // No model: POST's body is checked by the handler (naming the field); on, so the validator is a full one (cdk-nag AwsSolutions-APIG2).
      validateRequestBody: true,
    });
    const iam = settings.auth === 'iam';
    this.iam = iam;
    const integration = new LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });
    const entityType = this.api.root.addResource('features').addResource('{entityType}');
    const entity = entityType.addResource('{entityId}');
    // Both methods: API key and usage plan, IAM where the environment says so, the same validator.
    const access: MethodOptions = {
      apiKeyRequired: true,
      authorizationType: iam ? AuthorizationType.IAM : AuthorizationType.NONE,
      requestValidator: validator,
    };
    this.methodAccess = access;
    this.method = entity.addMethod('GET', integration, {
      ...access,
      operationName: 'GetFeatures',
      requestParameters: {
        'method.request.path.entityType': true,
        'method.request.path.entityId': true,
        'method.request.querystring.views': false,
      },
    });
    // The body ({ids, views}) is checked by the handler, which names the offending field (`ids[3]`);
    // a gateway model would answer first with "Invalid request body", and locally it would not run at all.
    this.entitiesMethod = entityType.addMethod('POST', integration, {
      ...access,
      operationName: 'GetFeaturesOfEntities',
      requestParameters: { 'method.request.path.entityType': true },
    });

    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      name: `featurelake-${props.envName}`,
      description: 'Per-key throttle and quota of feature API callers',
      throttle: { rateLimit: settings.throttle.rateLimit, burstLimit: settings.throttle.burstLimit },
      quota: { limit: settings.quota.limit, period: Period[settings.quota.period] },
    });
    this.usagePlan.addApiStage({ stage: this.api.deploymentStage });
    this.apiKey = new ApiKey(this, 'ApiKey', {
      description: `featurelake ${props.envName} feature API key (get its value with aws apigateway get-api-key --include-value)`,
      enabled: true,
    });
    this.usagePlan.addApiKey(this.apiKey);

    this.acknowledgeChecks();
  }

  /** IAM callers (SigV4): execute-api:Invoke on both reads of this stage, one entity (GET) and several (POST). */
  public grantReadFeatures(grantee: IGrantable): Grant {
    return this.grantInvokeRoutes(grantee, [
      ['GET', '/features/*/*'],
      ['POST', '/features/*'],
    ]);
  }

  /** execute-api:Invoke on a method and path of this stage (path parameters as `*`). */
  public grantInvoke(grantee: IGrantable, method = 'GET', path = '/features/*/*'): Grant {
    return this.grantInvokeRoutes(grantee, [[method, path]]);
  }

  /** One statement: execute-api:Invoke on each (method, path) of this stage. */
  private grantInvokeRoutes(grantee: IGrantable, routes: readonly (readonly [string, string])[]): Grant {
    const stage = this.api.deploymentStage.stageName;
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.map(([method, path]) => this.api.arnForExecuteApi(method, path, stage)),
    });
  }

  /** IAM callers (SigV4) of the inference endpoint: POST /predict and GET /health of this stage. */
  public grantPredict(grantee: IGrantable): Grant {
    return this.grantInvokeRoutes(grantee, [
      ['POST', '/predict'],
      ['GET', '/health'],
    ]);
  }

  private acknowledgeChecks(): void {
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: callers are known services holding an API key, throttled and capped per key by the usage plan; the API reads features and scores them only.',
    });
    this.acknowledgeMethodChecks([this.method, this.entitiesMethod]);
    const logRole = this.api.node.tryFindChild('CloudWatchRole');
    if (logRole) {
      Validations.of(logRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "The account-level API Gateway logging role uses AWS's documented managed policy; only apigateway.amazonaws.com can assume it, and API Gateway writes every API's execution logs to log groups it names itself.",
      });
    }
  }

  /** cdk-nag's API checks, answered the same way for every method on this API (the feature routes, and those other constructs add). */
  public acknowledgeMethodChecks(methods: readonly Method[]): void {
    for (const method of methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are services and models, not end users with Cognito identities: access is an API key bound to a usage plan, plus IAM SigV4 where the environment sets auth=iam.',
      });
      if (!this.iam) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'This environment authenticates service callers with an API key (apiKeyRequired) and its usage plan; the prod environment additionally requires IAM authorization.',
        });
      }
    }
  }
}

function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      caller: AccessLogField.contextIdentityCaller(),
      userArn: AccessLogField.contextIdentityUserArn(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      path: AccessLogField.contextPath(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      error: AccessLogField.contextErrorResponseType(),
    }),
  );
}
