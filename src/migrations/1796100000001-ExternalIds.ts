import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * External ids (src/modules/customer/customer-external-id.entity.ts, CustomerSubscription.externalId):
 * each partner's own id for a customer, unique per partner and at most one per customer; a seller's own
 * id for a subscription, unique per seller (NULLs repeat). External ids are compared exactly: utf8mb4_bin,
 * not the database's case- and accent-insensitive default (`ABC` and `abc` are two CRM ids, as on SQLite).
 * The id columns are ascii_bin, as every id column (1795345000000-IdsBinaryCollation).
 */
const BINARY = "CHARACTER SET ascii COLLATE ascii_bin";
const EXACT = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

export class ExternalIds1796100000001 implements MigrationInterface {
    name = 'ExternalIds1796100000001'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(
            `CREATE TABLE \`customer_external_id\` (\`id\` varchar(36) ${BINARY} NOT NULL, \`partnerId\` varchar(36) ${BINARY} NOT NULL, ` +
                `\`customerId\` varchar(36) ${BINARY} NOT NULL, \`externalId\` varchar(100) ${EXACT} NOT NULL, \`createdAt\` datetime(3) NOT NULL, ` +
                `\`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_customer_external_id_customer\` (\`customerId\`), ` +
                `UNIQUE INDEX \`UQ_customer_external_id_partner_external_id\` (\`partnerId\`, \`externalId\`), ` +
                `UNIQUE INDEX \`UQ_customer_external_id_partner_customer\` (\`partnerId\`, \`customerId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
        );
        await queryRunner.query(`ALTER TABLE \`customer_external_id\` ADD CONSTRAINT \`FK_c3c8dd91cc9f147c1e1524d0a27\` FOREIGN KEY (\`partnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`customer_external_id\` ADD CONSTRAINT \`FK_3ba4d76aae357979fa6f83b6a63\` FOREIGN KEY (\`customerId\`) REFERENCES \`customer\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD \`externalId\` varchar(100) ${EXACT} NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX \`UQ_subscription_seller_external_id\` ON \`subscription\` (\`soldByPartnerId\`, \`externalId\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`UQ_subscription_seller_external_id\` ON \`subscription\``);
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP COLUMN \`externalId\``);
        await queryRunner.query(`DROP TABLE \`customer_external_id\``);
    }
}
