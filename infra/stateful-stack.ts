import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { TABLE_INDEXES, TTL_ATTRIBUTE } from '../shared/db/keys';

export interface OnrampStatefulStackProps extends StackProps {
  /** Address invitation emails are sent from; SES must verify it before sending. */
  readonly senderEmail: string;
  /** Whether SSO is configured: then a secret for the IdP client secret is made. */
  readonly sso?: boolean;
}

/**
 * Everything that holds data or identity and must survive redeploys: the single
 * DynamoDB table, the two generated secrets and the SES sender identity.
 * Kept apart from the functions so the stateless stack can be torn down and
 * rebuilt freely; every data resource here is retained on delete.
 */
export class OnrampStatefulStack extends Stack {
  readonly table: Table;
  /** Key that signs login sessions (JWT); a plain generated string. */
  readonly jwtSecret: Secret;
  /** The proxy admin's master key; a plain generated string. */
  readonly masterKeySecret: Secret;
  readonly emailIdentity: EmailIdentity;
  readonly senderEmail: string;
  /**
   * The SSO client secret (`GENERIC_CLIENT_SECRET`), when SSO is configured. Created
   * with a random placeholder: put the value your IdP gave you in it after the first deploy.
   */
  readonly ssoClientSecret?: Secret;

  constructor(scope: Construct, id: string, props: OnrampStatefulStackProps) {
    super(scope, id, props);
    this.senderEmail = props.senderEmail;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'PK', type: AttributeType.STRING },
      sortKey: { name: 'SK', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The index list comes from the key design so the two can never drift apart.
    for (const name of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: `${name}PK`, type: AttributeType.STRING },
        sortKey: { name: `${name}SK`, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    // One secret per value: a secret can hold only one generated field.
    this.jwtSecret = new Secret(this, 'JwtSecret', {
      description: 'onramp: key that signs login session tokens (JWT)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.masterKeySecret = new Secret(this, 'MasterKeySecret', {
      description: 'onramp: proxy admin master key',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.sso) {
      this.ssoClientSecret = new Secret(this, 'SsoClientSecret', {
        description: 'onramp: OpenID Connect client secret from your identity provider (GENERIC_CLIENT_SECRET); replace the generated placeholder',
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    this.emailIdentity = new EmailIdentity(this, 'SenderIdentity', {
      identity: Identity.email(props.senderEmail),
    });
  }
}
