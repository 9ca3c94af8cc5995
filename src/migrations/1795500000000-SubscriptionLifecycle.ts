import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Subscriptions over their whole life (src/modules/subscription/): status, term, billing frequency,
 * auto-renewal, the current term's dates, the licences still reducible (their 168-hour windows), the
 * change scheduled for the renewal, the upgrade links and the reminders sent; the offers' terms and
 * upgrade targets (the catalog refreshes them at boot); the test clock's shared offset.
 *
 * Existing subscriptions become ACTIVE monthly terms that renew, their current term the month that
 * holds now, counted from their creation (a subscription created on 10 March is in its term from
 * 10 November to 10 December); their 7-day windows are past unless created within them. The upgrade
 * links hold ids: ascii_bin, as every id column (1795345000000-IdsBinaryCollation).
 */
const BINARY = "CHARACTER SET ascii COLLATE ascii_bin";

export class SubscriptionLifecycle1795500000000 implements MigrationInterface {
    name = 'SubscriptionLifecycle1795500000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`server_clock\` (\`id\` varchar(16) NOT NULL, \`offsetMs\` bigint NOT NULL, \`updatedAt\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        // the catalog fills these at boot (src/modules/offer/offer.service.ts ensureCatalog)
        await queryRunner.query(`ALTER TABLE \`offer\` ADD \`termRows\` text NULL, ADD \`upgradeTargetIds\` text NULL`);
        await queryRunner.query(`UPDATE \`offer\` SET \`termRows\` = '[]', \`upgradeTargetIds\` = '[]'`);
        await queryRunner.query(`ALTER TABLE \`offer\` MODIFY \`termRows\` text NOT NULL, MODIFY \`upgradeTargetIds\` text NOT NULL`);
        await queryRunner.query(
            `ALTER TABLE \`subscription\` ADD \`status\` varchar(32) NOT NULL DEFAULT 'ACTIVE', ADD \`termDuration\` varchar(8) NOT NULL DEFAULT 'P1M', ` +
                `ADD \`billingFrequency\` varchar(16) NOT NULL DEFAULT 'MONTHLY', ADD \`autoRenew\` tinyint NOT NULL DEFAULT 1, ` +
                `ADD \`termStartsAt\` datetime(3) NULL, ADD \`termEndsAt\` datetime(3) NULL, ADD \`licenseWindows\` text NULL, ADD \`scheduledChange\` text NULL, ` +
                `ADD \`upgradedToId\` varchar(36) ${BINARY} NULL, ADD \`upgradedFromId\` varchar(36) ${BINARY} NULL, ADD \`remindedDays\` int NULL, ADD \`endedAt\` datetime(3) NULL`,
        );
        // the monthly term that holds now, counted from the creation
        await queryRunner.query(
            `UPDATE \`subscription\` SET \`termStartsAt\` = DATE_ADD(\`createdAt\`, INTERVAL GREATEST(0, TIMESTAMPDIFF(MONTH, \`createdAt\`, UTC_TIMESTAMP(3))) MONTH)`,
        );
        await queryRunner.query(
            `UPDATE \`subscription\` SET \`termEndsAt\` = DATE_ADD(\`termStartsAt\`, INTERVAL 1 MONTH), ` +
                `\`licenseWindows\` = CONCAT('[{"quantity":', \`quantity\`, ',"until":"', DATE_FORMAT(DATE_ADD(\`termStartsAt\`, INTERVAL 168 HOUR), '%Y-%m-%dT%H:%i:%s.%fZ'), '"}]')`,
        );
        await queryRunner.query(
            `ALTER TABLE \`subscription\` MODIFY \`termStartsAt\` datetime(3) NOT NULL, MODIFY \`termEndsAt\` datetime(3) NOT NULL, MODIFY \`licenseWindows\` text NOT NULL`,
        );
        await queryRunner.query(`CREATE INDEX \`IDX_subscription_status_term_end\` ON \`subscription\` (\`status\`, \`termEndsAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_subscription_status_term_end\` ON \`subscription\``);
        await queryRunner.query(
            `ALTER TABLE \`subscription\` DROP COLUMN \`endedAt\`, DROP COLUMN \`remindedDays\`, DROP COLUMN \`upgradedFromId\`, DROP COLUMN \`upgradedToId\`, ` +
                `DROP COLUMN \`scheduledChange\`, DROP COLUMN \`licenseWindows\`, DROP COLUMN \`termEndsAt\`, DROP COLUMN \`termStartsAt\`, ` +
                `DROP COLUMN \`autoRenew\`, DROP COLUMN \`billingFrequency\`, DROP COLUMN \`termDuration\`, DROP COLUMN \`status\``,
        );
        await queryRunner.query(`ALTER TABLE \`offer\` DROP COLUMN \`upgradeTargetIds\`, DROP COLUMN \`termRows\``);
        await queryRunner.query(`DROP TABLE \`server_clock\``);
    }

}
