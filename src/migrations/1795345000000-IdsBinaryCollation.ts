import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Ids compare exactly on MySQL/MariaDB, as they do in SQLite and in JavaScript: every column that
 * holds an id (the entities' ids and references, an offer's slug, the event audience keys `p:<id>`,
 * a tally's owner, an activity's subject) becomes `CHARACTER SET ascii COLLATE ascii_bin`. With the
 * database's default collation (`utf8mb4_unicode_ci`) `0192ABC…` found the row `0192abc…` while the
 * event fan-out and webhooks, comparing in JavaScript, did not match it. The API takes ids in lower case
 * only now (src/common/ids.ts); the rows an older server stored in another case are lowered here first.
 *
 * Written by hand: TypeORM's MySQL driver does not compare collations, so `migration:generate` neither
 * sees this change nor undoes it. A column added later that holds an id needs the same clause (and a
 * foreign key needs it on both sides, MariaDB refuses one between different collations).
 */
const BINARY = "CHARACTER SET ascii COLLATE ascii_bin";

/** table → [column, type and nullability] */
const ID_COLUMNS: Record<string, [string, string][]> = {
    activity: [["id", "varchar(36) NOT NULL"], ["actorPartnerId", "varchar(36) NULL"], ["actorCustomerId", "varchar(36) NULL"], ["partnerId", "varchar(36) NULL"], ["customerId", "varchar(36) NULL"], ["subjectId", "varchar(64) NULL"]],
    admin_relationship: [["id", "varchar(36) NOT NULL"], ["partnerId", "varchar(36) NOT NULL"], ["customerId", "varchar(36) NULL"]],
    customer: [["id", "varchar(36) NOT NULL"], ["indirectResellerId", "varchar(36) NULL"]],
    customer_invitation: [["id", "varchar(36) NOT NULL"], ["partnerId", "varchar(36) NOT NULL"], ["indirectProviderId", "varchar(36) NULL"], ["customerId", "varchar(36) NULL"]],
    customer_user: [["id", "varchar(36) NOT NULL"], ["customerId", "varchar(36) NOT NULL"]],
    delegated_admin_privilege: [["id", "varchar(36) NOT NULL"], ["partnerId", "varchar(36) NOT NULL"], ["customerId", "varchar(36) NOT NULL"]],
    event: [["id", "varchar(36) NOT NULL"], ["actorPartnerId", "varchar(36) NULL"], ["actorCustomerId", "varchar(36) NULL"], ["partnerId", "varchar(36) NULL"], ["customerId", "varchar(36) NULL"], ["invitationId", "varchar(36) NULL"], ["partnershipId", "varchar(36) NULL"], ["subscriptionId", "varchar(36) NULL"], ["adminRelationshipId", "varchar(36) NULL"], ["audience", "text NOT NULL"]],
    event_audience: [["audience", "varchar(40) NOT NULL"]],
    offer: [["id", "varchar(64) NOT NULL"]],
    partner: [["id", "varchar(36) NOT NULL"]],
    partnership: [["id", "varchar(36) NOT NULL"], ["providerId", "varchar(36) NOT NULL"], ["resellerId", "varchar(36) NOT NULL"]],
    partnership_request: [["id", "varchar(36) NOT NULL"], ["providerId", "varchar(36) NOT NULL"], ["resellerId", "varchar(36) NULL"], ["partnershipId", "varchar(36) NULL"]],
    reseller_relationship: [["id", "varchar(36) NOT NULL"], ["partnerId", "varchar(36) NOT NULL"], ["customerId", "varchar(36) NOT NULL"]],
    subscription: [["id", "varchar(36) NOT NULL"], ["customerId", "varchar(36) NOT NULL"], ["offerId", "varchar(64) NOT NULL"], ["soldByPartnerId", "varchar(36) NOT NULL"], ["resellerId", "varchar(36) NULL"], ["supportContactId", "varchar(36) NULL"]],
    tally: [["owner", "varchar(64) NOT NULL"]],
    webhook_delivery: [["id", "varchar(36) NOT NULL"], ["endpointId", "varchar(36) NOT NULL"], ["eventId", "varchar(36) NOT NULL"]],
    webhook_endpoint: [["id", "varchar(36) NOT NULL"], ["partnerId", "varchar(36) NOT NULL"]],
};

/** The foreign keys between id columns (from the earlier migrations): dropped around the change, then added back as they were. */
const FOREIGN_KEYS: [name: string, table: string, column: string, references: string, onDelete: string][] = [
    ["FK_6c165b1337ffec54dc0d9ea3705", "admin_relationship", "partnerId", "partner", "CASCADE"],
    ["FK_6fad4a3b2fee54d47497472fd9c", "customer", "indirectResellerId", "partner", "RESTRICT"],
    ["FK_07a1310b4f4c68fa067e6360df0", "customer_invitation", "partnerId", "partner", "CASCADE"],
    ["FK_1328e6e85a2760d45e61054f458", "customer_invitation", "indirectProviderId", "partner", "CASCADE"],
    ["FK_b4e9f6d25673cec79ba9db7617a", "customer_user", "customerId", "customer", "CASCADE"],
    ["FK_dce08e7b0f5da89d99ea03ba8cb", "delegated_admin_privilege", "customerId", "customer", "CASCADE"],
    ["FK_9b30ff87e20e74e663aa65ad53a", "delegated_admin_privilege", "partnerId", "partner", "CASCADE"],
    ["FK_260d49fa43d990a3b52b19e4f76", "partnership", "providerId", "partner", "CASCADE"],
    ["FK_96dc17218434a94d1d3a2245114", "partnership", "resellerId", "partner", "CASCADE"],
    ["FK_3b1e6e730d0e379ad40a3287965", "partnership_request", "providerId", "partner", "CASCADE"],
    ["FK_c756c9bf986d82ec53118c36499", "reseller_relationship", "partnerId", "partner", "CASCADE"],
    ["FK_1e117104be6f14292f80311bde2", "reseller_relationship", "customerId", "customer", "CASCADE"],
    ["FK_225468ffe32b05ffc6dcbe2f73d", "subscription", "supportContactId", "partner", "RESTRICT"],
    ["FK_4062769969973ee1ff0c3aaa008", "subscription", "soldByPartnerId", "partner", "RESTRICT"],
    ["FK_e4543f99d629cf2c04fe9332e30", "subscription", "customerId", "customer", "CASCADE"],
    ["FK_306b184cb2974d656bacc2a1fb5", "subscription", "offerId", "offer", "RESTRICT"],
    ["FK_669fbc28260cbb5a4502fc8d57b", "subscription", "resellerId", "partner", "RESTRICT"],
];

export class IdsBinaryCollation1795345000000 implements MigrationInterface {
    name = 'IdsBinaryCollation1795345000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await this.dropForeignKeys(queryRunner);
        for (const [table, columns] of Object.entries(ID_COLUMNS)) {
            // ids are stored in lower case; one stored by an older server in another case is the same id
            for (const [column] of columns) {
                await queryRunner.query(`UPDATE \`${table}\` SET \`${column}\` = LOWER(\`${column}\`) WHERE BINARY \`${column}\` <> BINARY LOWER(\`${column}\`)`);
            }
            const modify = columns.map(([column, type]) => `MODIFY \`${column}\` ${type.replace(/ (NOT )?NULL$/, ` ${BINARY}$&`)}`);
            await queryRunner.query(`ALTER TABLE \`${table}\` ${modify.join(", ")}`);
        }
        await this.addForeignKeys(queryRunner);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await this.dropForeignKeys(queryRunner);
        for (const [table, columns] of Object.entries(ID_COLUMNS)) {
            // without a character set, a column takes its table's again
            const modify = columns.map(([column, type]) => `MODIFY \`${column}\` ${type}`);
            await queryRunner.query(`ALTER TABLE \`${table}\` ${modify.join(", ")}`);
        }
        await this.addForeignKeys(queryRunner);
    }

    private async dropForeignKeys(queryRunner: QueryRunner): Promise<void> {
        for (const [name, table] of FOREIGN_KEYS) {
            await queryRunner.query(`ALTER TABLE \`${table}\` DROP FOREIGN KEY \`${name}\``);
        }
    }

    private async addForeignKeys(queryRunner: QueryRunner): Promise<void> {
        for (const [name, table, column, references, onDelete] of FOREIGN_KEYS) {
            await queryRunner.query(`ALTER TABLE \`${table}\` ADD CONSTRAINT \`${name}\` FOREIGN KEY (\`${column}\`) REFERENCES \`${references}\`(\`id\`) ON DELETE ${onDelete} ON UPDATE NO ACTION`);
        }
    }

}
