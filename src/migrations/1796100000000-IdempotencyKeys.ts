import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Idempotent mutations (src/idempotency/): one row per caller and `Idempotency-Key` (its hash), with the
 * hash of the request that claimed it and, once answered, the answer (sealed). Both parts of the primary
 * key compare exactly: the hash is hex (ascii_bin); the caller holds a token's `sub`, any text
 * (utf8mb4_bin). The answer is a MEDIUMTEXT: it may be larger than TEXT's 64 KB. Written by hand
 * (TypeORM's MySQL driver does not compare collations: 1795345000000-IdsBinaryCollation).
 */
export class IdempotencyKeys1796100000000 implements MigrationInterface {
    name = 'IdempotencyKeys1796100000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(
            `CREATE TABLE \`idempotency_key\` (\`principal\` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ` +
                `\`keyHash\` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, \`requestHash\` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ` +
                `\`state\` varchar(16) NOT NULL, \`responseStatus\` int NULL, \`responseBody\` mediumtext NULL, ` +
                `\`createdAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, ` +
                `INDEX \`IDX_idempotency_key_expires\` (\`expiresAt\`), PRIMARY KEY (\`principal\`, \`keyHash\`)) ENGINE=InnoDB`,
        );
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`idempotency_key\``);
    }
}
