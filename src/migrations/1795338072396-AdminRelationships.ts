import { MigrationInterface, QueryRunner } from "typeorm";

export class AdminRelationships1795338072396 implements MigrationInterface {
    name = 'AdminRelationships1795338072396'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`admin_relationship\` (\`id\` varchar(36) NOT NULL, \`partnerId\` varchar(36) NOT NULL, \`displayName\` varchar(50) NOT NULL, \`displayNameKey\` varchar(64) NOT NULL, \`roles\` text NOT NULL, \`duration\` varchar(8) NOT NULL, \`autoExtend\` tinyint NOT NULL, \`status\` varchar(32) NOT NULL, \`cloud\` varchar(32) NOT NULL, \`customerId\` varchar(36) NULL, \`customerName\` varchar(200) NULL, \`tokenHash\` varchar(64) NOT NULL, \`createdByUserId\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`requestExpiresAt\` datetime(3) NOT NULL, \`activatedAt\` datetime(3) NULL, \`endsAt\` datetime(3) NULL, \`approvedByUserId\` varchar(200) NULL, \`endedAt\` datetime(3) NULL, \`endReason\` varchar(32) NULL, \`endedBySide\` varchar(16) NULL, \`endedByUserId\` varchar(200) NULL, \`remindedDays\` int NULL, \`extensions\` int NOT NULL DEFAULT '0', INDEX \`IDX_admin_relationship_status_request\` (\`status\`, \`requestExpiresAt\`), INDEX \`IDX_admin_relationship_status_ends\` (\`status\`, \`endsAt\`), INDEX \`IDX_admin_relationship_customer_id\` (\`customerId\`, \`id\`), INDEX \`IDX_admin_relationship_partner_id\` (\`partnerId\`, \`id\`), UNIQUE INDEX \`IDX_1748584f48d4a2838cccebc0cb\` (\`tokenHash\`), UNIQUE INDEX \`UQ_admin_relationship_display_name\` (\`partnerId\`, \`displayNameKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`event\` ADD \`adminRelationshipId\` varchar(36) NULL`);
        await queryRunner.query(`ALTER TABLE \`admin_relationship\` ADD CONSTRAINT \`FK_6c165b1337ffec54dc0d9ea3705\` FOREIGN KEY (\`partnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`admin_relationship\` DROP FOREIGN KEY \`FK_6c165b1337ffec54dc0d9ea3705\``);
        await queryRunner.query(`ALTER TABLE \`event\` DROP COLUMN \`adminRelationshipId\``);
        await queryRunner.query(`DROP INDEX \`UQ_admin_relationship_display_name\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_1748584f48d4a2838cccebc0cb\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_admin_relationship_partner_id\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_admin_relationship_customer_id\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_admin_relationship_status_ends\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_admin_relationship_status_request\` ON \`admin_relationship\``);
        await queryRunner.query(`DROP TABLE \`admin_relationship\``);
    }

}
