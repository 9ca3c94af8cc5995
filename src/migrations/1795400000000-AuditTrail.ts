import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The audit trail's new fields (src/changes/activity.entity.ts): what kind of record the entry is about,
 * the field changes (before/after, JSON), the correlation id of the request that made it, and whether
 * a caller (API) or the server itself (SYSTEM) made it; events get the correlation id too.
 * Existing rows get their subject type from their action, and `via` from their actor.
 */
const SUBJECT_BY_ACTION: [string, string][] = [
    ["PARTNER_CREATED", "PARTNER"],
    ["CUSTOMER_CREATED", "CUSTOMER"],
    ["INVITATION_%", "INVITATION"],
    ["RELATIONSHIP_%", "RELATIONSHIP"],
    ["DELEGATED_ADMIN_%", "DELEGATED_ADMIN"],
    ["PARTNERSHIP_REQUEST%", "PARTNERSHIP_REQUEST"],
    ["PARTNERSHIP_ACCEPTED", "PARTNERSHIP"],
    ["PARTNERSHIP_REMOVED", "PARTNERSHIP"],
    ["SUBSCRIPTION_%", "SUBSCRIPTION"],
    ["ADMIN_RELATIONSHIP_%", "ADMIN_RELATIONSHIP"],
];

export class AuditTrail1795400000000 implements MigrationInterface {
    name = 'AuditTrail1795400000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`activity\` ADD \`subjectType\` varchar(32) NULL`);
        await queryRunner.query(`ALTER TABLE \`activity\` ADD \`changeSet\` text NULL`);
        await queryRunner.query(`ALTER TABLE \`activity\` ADD \`correlationId\` varchar(64) NULL`);
        await queryRunner.query(`ALTER TABLE \`activity\` ADD \`via\` varchar(8) NOT NULL DEFAULT 'API'`);
        await queryRunner.query(`ALTER TABLE \`event\` ADD \`correlationId\` varchar(64) NULL`);
        for (const [action, subject] of SUBJECT_BY_ACTION) {
            await queryRunner.query(`UPDATE \`activity\` SET \`subjectType\` = ? WHERE \`subjectType\` IS NULL AND \`action\` LIKE ?`, [subject, action]);
        }
        await queryRunner.query(`UPDATE \`activity\` SET \`via\` = 'SYSTEM' WHERE \`actorUserId\` = 'system'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`event\` DROP COLUMN \`correlationId\``);
        await queryRunner.query(`ALTER TABLE \`activity\` DROP COLUMN \`via\``);
        await queryRunner.query(`ALTER TABLE \`activity\` DROP COLUMN \`correlationId\``);
        await queryRunner.query(`ALTER TABLE \`activity\` DROP COLUMN \`changeSet\``);
        await queryRunner.query(`ALTER TABLE \`activity\` DROP COLUMN \`subjectType\``);
    }
}
