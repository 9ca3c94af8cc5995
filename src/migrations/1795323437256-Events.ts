import { MigrationInterface, QueryRunner } from "typeorm";

export class Events1795323437256 implements MigrationInterface {
    name = 'Events1795323437256'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`event\` (\`position\` bigint NOT NULL, \`id\` varchar(36) NOT NULL, \`type\` varchar(64) NOT NULL, \`occurredAt\` datetime(3) NOT NULL, \`actorKind\` varchar(16) NULL, \`actorUserId\` varchar(200) NULL, \`actorPartnerId\` varchar(36) NULL, \`actorCustomerId\` varchar(36) NULL, \`partnerId\` varchar(36) NULL, \`customerId\` varchar(36) NULL, \`invitationId\` varchar(36) NULL, \`partnershipId\` varchar(36) NULL, \`subscriptionId\` varchar(36) NULL, \`data\` text NOT NULL, \`audience\` text NOT NULL, \`publishedAt\` datetime(3) NULL, UNIQUE INDEX \`UQ_event_id\` (\`id\`), INDEX \`IDX_event_unpublished\` (\`publishedAt\`), PRIMARY KEY (\`position\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`event_audience\` (\`audience\` varchar(40) NOT NULL, \`position\` bigint NOT NULL, PRIMARY KEY (\`audience\`, \`position\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`event_sequence\` (\`name\` varchar(32) NOT NULL, \`position\` bigint NOT NULL, PRIMARY KEY (\`name\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`webhook_delivery\` (\`id\` varchar(36) NOT NULL, \`endpointId\` varchar(36) NOT NULL, \`eventId\` varchar(36) NOT NULL, \`attempt\` int NOT NULL, \`status\` varchar(16) NOT NULL, \`manual\` tinyint NOT NULL, \`responseStatus\` int NULL, \`error\` varchar(500) NULL, \`createdAt\` datetime(3) NOT NULL, \`attemptedAt\` datetime(3) NULL, \`nextAttemptAt\` datetime(3) NULL, INDEX \`IDX_webhook_delivery_endpoint\` (\`endpointId\`, \`id\`), INDEX \`IDX_webhook_delivery_due\` (\`status\`, \`nextAttemptAt\`), UNIQUE INDEX \`UQ_webhook_delivery_attempt\` (\`endpointId\`, \`eventId\`, \`attempt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`webhook_endpoint\` (\`id\` varchar(36) NOT NULL, \`partnerId\` varchar(36) NOT NULL, \`url\` varchar(2000) NOT NULL, \`description\` varchar(500) NULL, \`eventTypes\` text NOT NULL, \`enabled\` tinyint NOT NULL, \`secretCiphertext\` varchar(300) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`disabledAt\` datetime(3) NULL, INDEX \`IDX_webhook_endpoint_partner\` (\`partnerId\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_webhook_endpoint_partner\` ON \`webhook_endpoint\``);
        await queryRunner.query(`DROP TABLE \`webhook_endpoint\``);
        await queryRunner.query(`DROP INDEX \`UQ_webhook_delivery_attempt\` ON \`webhook_delivery\``);
        await queryRunner.query(`DROP INDEX \`IDX_webhook_delivery_due\` ON \`webhook_delivery\``);
        await queryRunner.query(`DROP INDEX \`IDX_webhook_delivery_endpoint\` ON \`webhook_delivery\``);
        await queryRunner.query(`DROP TABLE \`webhook_delivery\``);
        await queryRunner.query(`DROP TABLE \`event_sequence\``);
        await queryRunner.query(`DROP TABLE \`event_audience\``);
        await queryRunner.query(`DROP INDEX \`IDX_event_unpublished\` ON \`event\``);
        await queryRunner.query(`DROP INDEX \`UQ_event_id\` ON \`event\``);
        await queryRunner.query(`DROP TABLE \`event\``);
    }

}
