import { MigrationInterface, QueryRunner } from "typeorm";

export class SubscriptionVisibilityIndexes1795333785084 implements MigrationInterface {
    name = 'SubscriptionVisibilityIndexes1795333785084'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX \`IDX_subscription_support\` ON \`subscription\` (\`supportContactId\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_subscription_reseller\` ON \`subscription\` (\`resellerId\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_subscription_seller_support\` ON \`subscription\` (\`soldByPartnerId\`, \`supportContactId\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_subscription_seller_reseller\` ON \`subscription\` (\`soldByPartnerId\`, \`resellerId\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_subscription_seller_reseller\` ON \`subscription\``);
        await queryRunner.query(`DROP INDEX \`IDX_subscription_seller_support\` ON \`subscription\``);
        await queryRunner.query(`DROP INDEX \`IDX_subscription_reseller\` ON \`subscription\``);
        await queryRunner.query(`DROP INDEX \`IDX_subscription_support\` ON \`subscription\``);
    }

}
