import { MigrationInterface, QueryRunner } from "typeorm";

export class Tallies1795326776023 implements MigrationInterface {
    name = 'Tallies1795326776023'

    // the counters are filled from the tables at start (ensureTallies in src/counts/tallies.ts)
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`tally\` (\`name\` varchar(40) NOT NULL, \`owner\` varchar(64) NOT NULL, \`total\` bigint NOT NULL, PRIMARY KEY (\`name\`, \`owner\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`tally\``);
    }

}
