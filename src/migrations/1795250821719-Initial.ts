import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795250821719 implements MigrationInterface {
    name = 'Initial1795250821719'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`activity\` (\`id\` varchar(36) NOT NULL, \`occurredAt\` datetime(3) NOT NULL, \`action\` varchar(64) NOT NULL, \`actorUserId\` varchar(200) NOT NULL, \`actorRoles\` text NOT NULL, \`actorPartnerId\` varchar(36) NULL, \`actorCustomerId\` varchar(36) NULL, \`partnerId\` varchar(36) NULL, \`customerId\` varchar(36) NULL, \`subjectId\` varchar(64) NULL, \`attestation\` tinyint NULL, \`details\` text NULL, INDEX \`IDX_activity_customer_id\` (\`customerId\`, \`id\`), INDEX \`IDX_activity_partner_id\` (\`partnerId\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`partner\` (\`id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`mpnId\` varchar(10) NOT NULL, \`type\` varchar(32) NOT NULL, \`cloud\` varchar(32) NOT NULL, \`contactEmail\` varchar(254) NOT NULL, \`createdAt\` datetime(3) NOT NULL, UNIQUE INDEX \`IDX_8f8349a14ed3a6295ac803a3bd\` (\`mpnId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`customer\` (\`id\` varchar(36) NOT NULL, \`companyName\` varchar(200) NOT NULL, \`domain\` varchar(253) NOT NULL, \`cloud\` varchar(32) NOT NULL, \`indirectResellerId\` varchar(36) NULL, \`createdAt\` datetime(3) NOT NULL, \`addressAddressline1\` varchar(200) NOT NULL, \`addressAddressline2\` varchar(200) NULL, \`addressCity\` varchar(100) NOT NULL, \`addressState\` varchar(100) NULL, \`addressPostalcode\` varchar(20) NOT NULL, \`addressCountry\` varchar(2) NOT NULL, \`contactFirstname\` varchar(100) NOT NULL, \`contactLastname\` varchar(100) NOT NULL, \`contactEmail\` varchar(254) NOT NULL, \`contactPhonenumber\` varchar(32) NOT NULL, \`agreementSignatoryname\` varchar(200) NOT NULL, \`agreementSignatoryemail\` varchar(254) NOT NULL, \`agreementAcceptedat\` datetime(3) NOT NULL, INDEX \`IDX_7273234b660f4381bef6999522\` (\`companyName\`), INDEX \`IDX_6fad4a3b2fee54d47497472fd9\` (\`indirectResellerId\`), UNIQUE INDEX \`IDX_0e560ccfa708ff07cd9eb35ec9\` (\`domain\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`customer_user\` (\`id\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`userName\` varchar(320) NOT NULL, \`passwordHash\` varchar(200) NOT NULL, \`role\` varchar(32) NOT NULL, \`mustChangePassword\` tinyint NOT NULL DEFAULT 1, \`createdAt\` datetime(3) NOT NULL, INDEX \`IDX_b4e9f6d25673cec79ba9db7617\` (\`customerId\`), UNIQUE INDEX \`IDX_b25ff3ea4333cbf00308a11e91\` (\`userName\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`customer_invitation\` (\`id\` varchar(36) NOT NULL, \`partnerId\` varchar(36) NOT NULL, \`indirectProviderId\` varchar(36) NULL, \`includeDelegatedAdminPrivileges\` tinyint NOT NULL, \`customerEmail\` varchar(254) NULL, \`cloud\` varchar(32) NOT NULL, \`tokenHash\` varchar(64) NOT NULL, \`status\` varchar(32) NOT NULL, \`createdByUserId\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, \`customerId\` varchar(36) NULL, \`answeredByUserId\` varchar(200) NULL, \`acceptedAt\` datetime(3) NULL, \`declinedAt\` datetime(3) NULL, \`revokedAt\` datetime(3) NULL, INDEX \`IDX_1328e6e85a2760d45e61054f45\` (\`indirectProviderId\`), INDEX \`IDX_invitation_partner_id\` (\`partnerId\`, \`id\`), UNIQUE INDEX \`IDX_e913f570f6fad80ca42536cecd\` (\`tokenHash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`offer\` (\`id\` varchar(64) NOT NULL, \`name\` varchar(200) NOT NULL, \`description\` varchar(500) NOT NULL, \`minQuantity\` int NOT NULL, \`maxQuantity\` int NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`partnership_request\` (\`id\` varchar(36) NOT NULL, \`providerId\` varchar(36) NOT NULL, \`resellerEmail\` varchar(254) NOT NULL, \`cloud\` varchar(32) NOT NULL, \`tokenHash\` varchar(64) NOT NULL, \`status\` varchar(32) NOT NULL, \`createdByUserId\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, \`resellerId\` varchar(36) NULL, \`partnershipId\` varchar(36) NULL, \`acceptedByUserId\` varchar(200) NULL, \`acceptedAt\` datetime(3) NULL, \`revokedAt\` datetime(3) NULL, INDEX \`IDX_partnership_request_provider_id\` (\`providerId\`, \`id\`), UNIQUE INDEX \`IDX_9e53968e7fa705549d0f9057f1\` (\`tokenHash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`partnership\` (\`id\` varchar(36) NOT NULL, \`providerId\` varchar(36) NOT NULL, \`resellerId\` varchar(36) NOT NULL, \`status\` varchar(32) NOT NULL, \`establishedAt\` datetime(3) NOT NULL, \`removedAt\` datetime(3) NULL, INDEX \`IDX_partnership_reseller_status\` (\`resellerId\`, \`status\`, \`id\`), INDEX \`IDX_partnership_provider_status\` (\`providerId\`, \`status\`, \`id\`), UNIQUE INDEX \`UQ_partnership_pair\` (\`providerId\`, \`resellerId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`delegated_admin_privilege\` (\`id\` varchar(36) NOT NULL, \`partnerId\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`status\` varchar(32) NOT NULL, \`grantedAt\` datetime(3) NOT NULL, \`revokedAt\` datetime(3) NULL, INDEX \`IDX_dce08e7b0f5da89d99ea03ba8c\` (\`customerId\`), UNIQUE INDEX \`UQ_dap_partner_customer\` (\`partnerId\`, \`customerId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`reseller_relationship\` (\`id\` varchar(36) NOT NULL, \`partnerId\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`status\` varchar(32) NOT NULL, \`establishedAt\` datetime(3) NOT NULL, \`removedAt\` datetime(3) NULL, INDEX \`IDX_1e117104be6f14292f80311bde\` (\`customerId\`), INDEX \`IDX_relationship_partner_status_customer\` (\`partnerId\`, \`status\`, \`customerId\`), UNIQUE INDEX \`UQ_relationship_partner_customer\` (\`partnerId\`, \`customerId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`subscription\` (\`id\` varchar(36) NOT NULL, \`customerId\` varchar(36) NOT NULL, \`offerId\` varchar(64) NOT NULL, \`quantity\` int NOT NULL, \`soldByPartnerId\` varchar(36) NOT NULL, \`resellerId\` varchar(36) NULL, \`supportContactId\` varchar(36) NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_subscription_customer_id\` (\`customerId\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`customer\` ADD CONSTRAINT \`FK_6fad4a3b2fee54d47497472fd9c\` FOREIGN KEY (\`indirectResellerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`customer_user\` ADD CONSTRAINT \`FK_b4e9f6d25673cec79ba9db7617a\` FOREIGN KEY (\`customerId\`) REFERENCES \`customer\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`customer_invitation\` ADD CONSTRAINT \`FK_07a1310b4f4c68fa067e6360df0\` FOREIGN KEY (\`partnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`customer_invitation\` ADD CONSTRAINT \`FK_1328e6e85a2760d45e61054f458\` FOREIGN KEY (\`indirectProviderId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`partnership_request\` ADD CONSTRAINT \`FK_3b1e6e730d0e379ad40a3287965\` FOREIGN KEY (\`providerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`partnership\` ADD CONSTRAINT \`FK_260d49fa43d990a3b52b19e4f76\` FOREIGN KEY (\`providerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`partnership\` ADD CONSTRAINT \`FK_96dc17218434a94d1d3a2245114\` FOREIGN KEY (\`resellerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`delegated_admin_privilege\` ADD CONSTRAINT \`FK_9b30ff87e20e74e663aa65ad53a\` FOREIGN KEY (\`partnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`delegated_admin_privilege\` ADD CONSTRAINT \`FK_dce08e7b0f5da89d99ea03ba8cb\` FOREIGN KEY (\`customerId\`) REFERENCES \`customer\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`reseller_relationship\` ADD CONSTRAINT \`FK_c756c9bf986d82ec53118c36499\` FOREIGN KEY (\`partnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`reseller_relationship\` ADD CONSTRAINT \`FK_1e117104be6f14292f80311bde2\` FOREIGN KEY (\`customerId\`) REFERENCES \`customer\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD CONSTRAINT \`FK_e4543f99d629cf2c04fe9332e30\` FOREIGN KEY (\`customerId\`) REFERENCES \`customer\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD CONSTRAINT \`FK_306b184cb2974d656bacc2a1fb5\` FOREIGN KEY (\`offerId\`) REFERENCES \`offer\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD CONSTRAINT \`FK_4062769969973ee1ff0c3aaa008\` FOREIGN KEY (\`soldByPartnerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD CONSTRAINT \`FK_669fbc28260cbb5a4502fc8d57b\` FOREIGN KEY (\`resellerId\`) REFERENCES \`partner\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`subscription\` ADD CONSTRAINT \`FK_225468ffe32b05ffc6dcbe2f73d\` FOREIGN KEY (\`supportContactId\`) REFERENCES \`partner\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP FOREIGN KEY \`FK_225468ffe32b05ffc6dcbe2f73d\``);
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP FOREIGN KEY \`FK_669fbc28260cbb5a4502fc8d57b\``);
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP FOREIGN KEY \`FK_4062769969973ee1ff0c3aaa008\``);
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP FOREIGN KEY \`FK_306b184cb2974d656bacc2a1fb5\``);
        await queryRunner.query(`ALTER TABLE \`subscription\` DROP FOREIGN KEY \`FK_e4543f99d629cf2c04fe9332e30\``);
        await queryRunner.query(`ALTER TABLE \`reseller_relationship\` DROP FOREIGN KEY \`FK_1e117104be6f14292f80311bde2\``);
        await queryRunner.query(`ALTER TABLE \`reseller_relationship\` DROP FOREIGN KEY \`FK_c756c9bf986d82ec53118c36499\``);
        await queryRunner.query(`ALTER TABLE \`delegated_admin_privilege\` DROP FOREIGN KEY \`FK_dce08e7b0f5da89d99ea03ba8cb\``);
        await queryRunner.query(`ALTER TABLE \`delegated_admin_privilege\` DROP FOREIGN KEY \`FK_9b30ff87e20e74e663aa65ad53a\``);
        await queryRunner.query(`ALTER TABLE \`partnership\` DROP FOREIGN KEY \`FK_96dc17218434a94d1d3a2245114\``);
        await queryRunner.query(`ALTER TABLE \`partnership\` DROP FOREIGN KEY \`FK_260d49fa43d990a3b52b19e4f76\``);
        await queryRunner.query(`ALTER TABLE \`partnership_request\` DROP FOREIGN KEY \`FK_3b1e6e730d0e379ad40a3287965\``);
        await queryRunner.query(`ALTER TABLE \`customer_invitation\` DROP FOREIGN KEY \`FK_1328e6e85a2760d45e61054f458\``);
        await queryRunner.query(`ALTER TABLE \`customer_invitation\` DROP FOREIGN KEY \`FK_07a1310b4f4c68fa067e6360df0\``);
        await queryRunner.query(`ALTER TABLE \`customer_user\` DROP FOREIGN KEY \`FK_b4e9f6d25673cec79ba9db7617a\``);
        await queryRunner.query(`ALTER TABLE \`customer\` DROP FOREIGN KEY \`FK_6fad4a3b2fee54d47497472fd9c\``);
        await queryRunner.query(`DROP INDEX \`IDX_subscription_customer_id\` ON \`subscription\``);
        await queryRunner.query(`DROP TABLE \`subscription\``);
        await queryRunner.query(`DROP INDEX \`UQ_relationship_partner_customer\` ON \`reseller_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_relationship_partner_status_customer\` ON \`reseller_relationship\``);
        await queryRunner.query(`DROP INDEX \`IDX_1e117104be6f14292f80311bde\` ON \`reseller_relationship\``);
        await queryRunner.query(`DROP TABLE \`reseller_relationship\``);
        await queryRunner.query(`DROP INDEX \`UQ_dap_partner_customer\` ON \`delegated_admin_privilege\``);
        await queryRunner.query(`DROP INDEX \`IDX_dce08e7b0f5da89d99ea03ba8c\` ON \`delegated_admin_privilege\``);
        await queryRunner.query(`DROP TABLE \`delegated_admin_privilege\``);
        await queryRunner.query(`DROP INDEX \`UQ_partnership_pair\` ON \`partnership\``);
        await queryRunner.query(`DROP INDEX \`IDX_partnership_provider_status\` ON \`partnership\``);
        await queryRunner.query(`DROP INDEX \`IDX_partnership_reseller_status\` ON \`partnership\``);
        await queryRunner.query(`DROP TABLE \`partnership\``);
        await queryRunner.query(`DROP INDEX \`IDX_9e53968e7fa705549d0f9057f1\` ON \`partnership_request\``);
        await queryRunner.query(`DROP INDEX \`IDX_partnership_request_provider_id\` ON \`partnership_request\``);
        await queryRunner.query(`DROP TABLE \`partnership_request\``);
        await queryRunner.query(`DROP TABLE \`offer\``);
        await queryRunner.query(`DROP INDEX \`IDX_e913f570f6fad80ca42536cecd\` ON \`customer_invitation\``);
        await queryRunner.query(`DROP INDEX \`IDX_invitation_partner_id\` ON \`customer_invitation\``);
        await queryRunner.query(`DROP INDEX \`IDX_1328e6e85a2760d45e61054f45\` ON \`customer_invitation\``);
        await queryRunner.query(`DROP TABLE \`customer_invitation\``);
        await queryRunner.query(`DROP INDEX \`IDX_b25ff3ea4333cbf00308a11e91\` ON \`customer_user\``);
        await queryRunner.query(`DROP INDEX \`IDX_b4e9f6d25673cec79ba9db7617\` ON \`customer_user\``);
        await queryRunner.query(`DROP TABLE \`customer_user\``);
        await queryRunner.query(`DROP INDEX \`IDX_0e560ccfa708ff07cd9eb35ec9\` ON \`customer\``);
        await queryRunner.query(`DROP INDEX \`IDX_6fad4a3b2fee54d47497472fd9\` ON \`customer\``);
        await queryRunner.query(`DROP INDEX \`IDX_7273234b660f4381bef6999522\` ON \`customer\``);
        await queryRunner.query(`DROP TABLE \`customer\``);
        await queryRunner.query(`DROP INDEX \`IDX_8f8349a14ed3a6295ac803a3bd\` ON \`partner\``);
        await queryRunner.query(`DROP TABLE \`partner\``);
        await queryRunner.query(`DROP INDEX \`IDX_activity_partner_id\` ON \`activity\``);
        await queryRunner.query(`DROP INDEX \`IDX_activity_customer_id\` ON \`activity\``);
        await queryRunner.query(`DROP TABLE \`activity\``);
    }

}
