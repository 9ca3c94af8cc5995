import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Traces (src/observability/tracing.ts): each event keeps the W3C `traceparent` of the span that
 * recorded it (null when traces are off), so that its webhook deliveries continue that trace. A
 * traceparent is 55 ASCII characters (`00-<32 hex>-<16 hex>-<2 hex>`). Written by hand (TypeORM's
 * MySQL driver does not compare character sets: 1795345000000-IdsBinaryCollation).
 */
export class EventTraceContext1796200000000 implements MigrationInterface {
    name = 'EventTraceContext1796200000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`event\` ADD \`traceparent\` varchar(55) CHARACTER SET ascii COLLATE ascii_bin NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`event\` DROP COLUMN \`traceparent\``);
    }
}
