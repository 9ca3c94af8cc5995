import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The audit trail's filters (src/modules/activity/activity.trail.ts): one index per filter column, led
 * by the tenant column (a partner's trail, a customer admin's records) and ending with the keyset's id,
 * so a page never reads another tenant's index entries (no index without the tenant column in front,
 * which the optimizer could intersect with); and `occurredAt` for the retention sweep (AUDIT_RETENTION).
 * Runs after 1795400000000-AuditTrail, which adds the columns.
 */
const INDEXES: [string, string[]][] = [
    ["IDX_activity_partner_customer", ["partnerId", "customerId", "id"]],
    ["IDX_activity_partner_subject_type", ["partnerId", "subjectType", "id"]],
    ["IDX_activity_partner_subject", ["partnerId", "subjectId", "id"]],
    ["IDX_activity_partner_action", ["partnerId", "action", "id"]],
    ["IDX_activity_partner_actor", ["partnerId", "actorUserId", "id"]],
    ["IDX_activity_partner_correlation", ["partnerId", "correlationId", "id"]],
    ["IDX_activity_customer_partner", ["customerId", "partnerId", "id"]],
    ["IDX_activity_customer_subject_type", ["customerId", "subjectType", "id"]],
    ["IDX_activity_customer_subject", ["customerId", "subjectId", "id"]],
    ["IDX_activity_customer_action", ["customerId", "action", "id"]],
    ["IDX_activity_customer_actor", ["customerId", "actorUserId", "id"]],
    ["IDX_activity_customer_correlation", ["customerId", "correlationId", "id"]],
    ["IDX_activity_occurred_at", ["occurredAt"]],
];

export class AuditTrailIndexes1795400100000 implements MigrationInterface {
    name = 'AuditTrailIndexes1795400100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // one ALTER for all of them: the table is rebuilt (or, online, its indexes built) once
        const adds = INDEXES.map(([name, columns]) => `ADD INDEX \`${name}\` (${columns.map((c) => `\`${c}\``).join(", ")})`);
        await queryRunner.query(`ALTER TABLE \`activity\` ${adds.join(", ")}`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const drops = INDEXES.map(([name]) => `DROP INDEX \`${name}\``);
        await queryRunner.query(`ALTER TABLE \`activity\` ${drops.join(", ")}`);
    }

}
