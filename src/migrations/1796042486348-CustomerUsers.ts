import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Customer accounts and users (src/modules/customer-user/, src/modules/customer/): a customer's billing
 * contact and last update; its users' names, roles (the admin relationships' catalog), status (soft
 * delete) and the key their user name is unique by; the licence book (license_assignment); the grant
 * an audit record was made under (activity.grantedBy).
 *
 * Existing users are the admins created with their customers: ACTIVE global administrators named
 * "Administrator", their user name's key its lower case (they are ASCII `admin@<domain>`, whose NFKC
 * form is themselves). The id columns are ascii_bin, as every id column (1795345000000-IdsBinaryCollation).
 */
const BINARY = "CHARACTER SET ascii COLLATE ascii_bin";

export class CustomerUsers1796042486348 implements MigrationInterface {
    name = 'CustomerUsers1796042486348'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(
            `CREATE TABLE \`license_assignment\` (\`id\` varchar(36) ${BINARY} NOT NULL, \`customerId\` varchar(36) ${BINARY} NOT NULL, ` +
                `\`subscriptionId\` varchar(36) ${BINARY} NOT NULL, \`userId\` varchar(36) ${BINARY} NOT NULL, \`assignedAt\` datetime(3) NOT NULL, ` +
                `INDEX \`IDX_license_assignment_user\` (\`userId\`, \`subscriptionId\`), UNIQUE INDEX \`UQ_license_assignment_subscription_user\` (\`subscriptionId\`, \`userId\`), ` +
                `PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
        );
        await queryRunner.query(`ALTER TABLE \`activity\` ADD \`grantedBy\` text NULL`);
        await queryRunner.query(`ALTER TABLE \`customer\` ADD \`billingContact\` text NULL, ADD \`updatedAt\` datetime(3) NULL`);
        await queryRunner.query(
            `ALTER TABLE \`customer_user\` ADD \`userNameKey\` varchar(320) NULL, ADD \`displayName\` varchar(256) NULL, ADD \`firstName\` varchar(64) NULL, ` +
                `ADD \`lastName\` varchar(64) NULL, ADD \`roles\` text NULL, ADD \`status\` varchar(32) NULL, ADD \`updatedAt\` datetime(3) NULL, ADD \`deletedAt\` datetime(3) NULL`,
        );
        await queryRunner.query(
            `UPDATE \`customer_user\` SET \`userNameKey\` = LOWER(\`userName\`), \`displayName\` = 'Administrator', \`roles\` = '["GLOBAL_ADMINISTRATOR"]', \`status\` = 'ACTIVE'`,
        );
        await queryRunner.query(
            `ALTER TABLE \`customer_user\` MODIFY \`userNameKey\` varchar(320) NOT NULL, MODIFY \`displayName\` varchar(256) NOT NULL, ` +
                `MODIFY \`roles\` text NOT NULL, MODIFY \`status\` varchar(32) NOT NULL, DROP COLUMN \`role\``,
        );
        await queryRunner.query(`ALTER TABLE \`customer_user\` ADD UNIQUE INDEX \`IDX_4031ebe03f94e60dab979db124\` (\`userNameKey\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_customer_user_status_deleted\` ON \`customer_user\` (\`status\`, \`deletedAt\`)`);
        // the new index leads with customerId: it serves the foreign key, so the old one can go after it
        await queryRunner.query(`CREATE INDEX \`IDX_customer_user_customer_id\` ON \`customer_user\` (\`customerId\`, \`id\`)`);
        await queryRunner.query(`DROP INDEX \`IDX_b4e9f6d25673cec79ba9db7617\` ON \`customer_user\``);
        await queryRunner.query(`ALTER TABLE \`license_assignment\` ADD CONSTRAINT \`FK_9ccd16527cdeb346703f23f2624\` FOREIGN KEY (\`subscriptionId\`) REFERENCES \`subscription\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`license_assignment\` ADD CONSTRAINT \`FK_154593c5af550292bd0abb563f6\` FOREIGN KEY (\`userId\`) REFERENCES \`customer_user\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`license_assignment\``);
        await queryRunner.query(`CREATE INDEX \`IDX_b4e9f6d25673cec79ba9db7617\` ON \`customer_user\` (\`customerId\`)`);
        await queryRunner.query(`DROP INDEX \`IDX_customer_user_customer_id\` ON \`customer_user\``);
        await queryRunner.query(`DROP INDEX \`IDX_customer_user_status_deleted\` ON \`customer_user\``);
        await queryRunner.query(`ALTER TABLE \`customer_user\` DROP INDEX \`IDX_4031ebe03f94e60dab979db124\``);
        // a deleted user comes back as the admin it can no longer be told apart from: the older schema had no deletion
        await queryRunner.query(`ALTER TABLE \`customer_user\` ADD \`role\` varchar(32) NOT NULL DEFAULT 'CUSTOMER_ADMIN'`);
        await queryRunner.query(`ALTER TABLE \`customer_user\` ALTER \`role\` DROP DEFAULT`);
        await queryRunner.query(
            `ALTER TABLE \`customer_user\` DROP COLUMN \`deletedAt\`, DROP COLUMN \`updatedAt\`, DROP COLUMN \`status\`, DROP COLUMN \`roles\`, ` +
                `DROP COLUMN \`lastName\`, DROP COLUMN \`firstName\`, DROP COLUMN \`displayName\`, DROP COLUMN \`userNameKey\``,
        );
        await queryRunner.query(`ALTER TABLE \`customer\` DROP COLUMN \`updatedAt\`, DROP COLUMN \`billingContact\``);
        await queryRunner.query(`ALTER TABLE \`activity\` DROP COLUMN \`grantedBy\``);
    }

}
