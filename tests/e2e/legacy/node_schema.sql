-- The tables of the original Node.js server that `crm import legacy` reads, as Sequelize 6's
-- `sync()` creates them from the models described in docs/legacy/NODE-MODELS.md (table and
-- column names are from there; the DDL is written for these tests). Every id is a VARCHAR(255),
-- there are no foreign keys, `createdAt`/`updatedAt` are wall-clock DATETIMEs in +05:30.
-- `Leads` is the newer model version without `company_name` (a column the importer asks for
-- and must report as missing).

CREATE TABLE `Roles` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `role_name` VARCHAR(255) NOT NULL,
  `permissions` JSON NULL,
  `client_id` VARCHAR(255) NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Users` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `employeeId` VARCHAR(255) NULL,
  `username` VARCHAR(255) NOT NULL UNIQUE,
  `password` VARCHAR(255) NOT NULL,
  `email` VARCHAR(255) NOT NULL UNIQUE,
  `role_id` VARCHAR(255) NOT NULL,
  `profilePic` VARCHAR(255) NULL,
  `firstName` VARCHAR(255) NULL,
  `lastName` VARCHAR(255) NULL,
  `phone` VARCHAR(255) NULL UNIQUE,
  `address` TEXT NULL,
  `joiningDate` DATETIME NULL,
  `leaveDate` DATETIME NULL,
  `department` VARCHAR(255) NULL,
  `designation` VARCHAR(255) NULL,
  `salary` DECIMAL(10,2) NULL,
  `links` JSON NULL,
  `client_id` VARCHAR(255) NULL,
  `client_plan_id` VARCHAR(255) NULL,
  `isEmailVerified` TINYINT(1) NULL,
  `conversations` JSON NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `currencies` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `currencyName` VARCHAR(255) NOT NULL UNIQUE,
  `currencyIcon` VARCHAR(255) NOT NULL,
  `currencyCode` VARCHAR(255) NOT NULL UNIQUE,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `sources` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `sourceName` VARCHAR(255) NOT NULL UNIQUE,
  `description` VARCHAR(255) NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `customers` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `customerNumber` VARCHAR(255) NULL UNIQUE,
  `name` VARCHAR(255) NOT NULL,
  `contact` VARCHAR(255) NOT NULL,
  `email` VARCHAR(255) NOT NULL,
  `tax_number` VARCHAR(255) NOT NULL,
  `alternate_number` VARCHAR(255) NULL,
  `billing_address` JSON NULL,
  `shipping_address` JSON NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Leads` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `leadTitle` VARCHAR(255) NOT NULL,
  `leadStage` VARCHAR(255) NULL,
  `currency` VARCHAR(255) NULL,
  `leadValue` VARCHAR(255) NULL,
  `firstName` VARCHAR(255) NOT NULL,
  `lastName` VARCHAR(255) NOT NULL,
  `phoneCode` VARCHAR(255) NULL,
  `telephone` VARCHAR(255) NULL,
  `email` VARCHAR(255) NULL,
  `assigned` VARCHAR(255) NULL,
  `lead_members` JSON NULL,
  `source` VARCHAR(255) NULL,
  `category` VARCHAR(255) NULL,
  `files` JSON NULL,
  `status` VARCHAR(255) NOT NULL DEFAULT 'new',
  `tag` VARCHAR(255) NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `invoices` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `invoiceNumber` VARCHAR(255) NULL UNIQUE,
  `related_id` VARCHAR(255) NOT NULL,
  `issueDate` DATETIME NOT NULL,
  `dueDate` DATETIME NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `project` VARCHAR(255) NOT NULL,
  `client` VARCHAR(255) NOT NULL,
  `items` JSON NOT NULL,
  `discount` INT NULL,
  `tax` INT NULL,
  `total` INT NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- Sales and finance (issue 17, branch legacy-sales): the tables of the sales and finance
-- steps, from NODE-MODELS.md; none has a tenant column.

CREATE TABLE `pipelines` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `pipeline_name` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `stages` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `stageType` VARCHAR(255) NOT NULL,
  `stageName` VARCHAR(255) NOT NULL,
  `pipeline` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Deals` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `leadTitle` VARCHAR(255) NOT NULL,
  `dealName` VARCHAR(255) NOT NULL,
  `pipeline` VARCHAR(255) NOT NULL,
  `deal_stage` VARCHAR(255) NOT NULL,
  `deal_price` FLOAT NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `closed_date` DATETIME NOT NULL,
  `deal_category` VARCHAR(255) NOT NULL,
  `deal_agent` VARCHAR(255) NOT NULL,
  `project` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Payments` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `project` VARCHAR(255) NOT NULL,
  `invoice` VARCHAR(255) NOT NULL,
  `paidOn` DATETIME NOT NULL,
  `amount` INT NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `transactionId` VARCHAR(255) NOT NULL,
  `paymentMethod` VARCHAR(255) NOT NULL,
  `receipt` VARCHAR(255) NULL,
  `remark` VARCHAR(255) NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `expenses` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `item` VARCHAR(255) NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `price` FLOAT NOT NULL,
  `purchase_date` DATETIME NOT NULL,
  `project` VARCHAR(255) NOT NULL,
  `description` VARCHAR(255) NULL,
  `bill` VARCHAR(255) NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Contracts` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `contract_number` VARCHAR(255) NULL,
  `subject` VARCHAR(255) NOT NULL UNIQUE,
  `client` VARCHAR(255) NOT NULL,
  `project` VARCHAR(255) NOT NULL,
  `type` VARCHAR(255) NOT NULL,
  `value` INT NOT NULL,
  `startDate` DATETIME NOT NULL,
  `endDate` DATETIME NOT NULL,
  `description` TEXT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `phone` VARCHAR(255) NOT NULL,
  `city` VARCHAR(255) NOT NULL,
  `state` VARCHAR(255) NOT NULL,
  `country` VARCHAR(255) NOT NULL,
  `zipcode` VARCHAR(255) NOT NULL,
  `address` VARCHAR(255) NOT NULL,
  `notes` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `notes` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `note_title` VARCHAR(255) NOT NULL,
  `notetype` VARCHAR(255) NULL,
  `employees` JSON NULL,
  `description` VARCHAR(255) NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- ---- Work tables (branch legacy-work): Projects, Tasks, milestones. ----
-- `Projects` as @ ec0bb284 (with `client_id`); `Tasks` as @ 42594dd0 (no tenant column: the
-- tenant is the project's); `milestones` as @ 57cd2493 (`related_id` is the project).

CREATE TABLE `Projects` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `project_name` VARCHAR(255) NULL UNIQUE,
  `startDate` DATETIME NOT NULL,
  `endDate` DATETIME NOT NULL,
  `project_members` JSON NULL,
  `project_category` VARCHAR(255) NULL,
  `project_description` TEXT NULL,
  `client` VARCHAR(255) NULL,
  `currency` VARCHAR(255) NULL,
  `budget` INT NOT NULL,
  `estimatedmonths` VARCHAR(255) NULL,
  `estimatedhours` INT NULL,
  `files` JSON NULL,
  `tag` VARCHAR(255) NULL,
  `status` VARCHAR(255) NULL,
  `client_id` VARCHAR(255) NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Tasks` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `taskName` VARCHAR(255) NOT NULL,
  `category` VARCHAR(255) NULL,
  `project` VARCHAR(255) NULL,
  `lead` VARCHAR(255) NULL,
  `startDate` DATETIME NOT NULL,
  `dueDate` DATETIME NOT NULL,
  `assignTo` JSON NULL,
  `status` VARCHAR(255) NOT NULL,
  `priority` VARCHAR(255) NOT NULL,
  `description` VARCHAR(255) NULL,
  `reminder_date` DATETIME NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `milestones` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NULL,
  `milestone_title` VARCHAR(255) NULL,
  `milestone_status` VARCHAR(255) NULL,
  `milestone_cost` VARCHAR(255) NULL,
  `currency` VARCHAR(255) NULL,
  `milestone_summary` VARCHAR(255) NULL,
  `milestone_start_date` DATETIME NULL,
  `milestone_end_date` DATETIME NULL,
  `add_cost_to_project_budget` VARCHAR(255) NULL DEFAULT 'false',
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- ---- HR tables (branch legacy-work): holidays (@ 4fa7f9ff). ----

CREATE TABLE `holidays` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `holiday_name` VARCHAR(255) NOT NULL,
  `start_date` DATETIME NOT NULL,
  `end_date` DATETIME NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- `LeaveTypes` (@ 6a0c3079): `leaveType` is the name, unique across tenants.

CREATE TABLE `LeaveTypes` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `leaveType` VARCHAR(255) NOT NULL UNIQUE,
  `daysPerYear` INT NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- ---- Documents (branch legacy-docs): quotations (@ 16ec60ec), sales_quotations (@ 6a0c3079),
-- proposals (@ 20734da6), Notifications (@ 4c5b8a6c). `from` is a reserved word.

CREATE TABLE `quotations` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `quotationNumber` VARCHAR(255) NULL UNIQUE,
  `related_id` VARCHAR(255) NOT NULL,
  `valid_till` DATETIME NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `lead` VARCHAR(255) NULL,
  `client` VARCHAR(255) NULL,
  `items` JSON NOT NULL,
  `discount` INT NULL,
  `tax` INT NULL,
  `total` INT NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `sales_quotations` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `salesQuotationNumber` VARCHAR(255) NULL UNIQUE,
  `related_id` VARCHAR(255) NOT NULL,
  `customer` VARCHAR(255) NOT NULL,
  `issueDate` DATETIME NOT NULL,
  `category` VARCHAR(255) NOT NULL,
  `items` JSON NOT NULL,
  `discount` INT NULL,
  `tax` INT NULL,
  `total` INT NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `proposals` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `lead_title` VARCHAR(255) NOT NULL,
  `valid_till` DATETIME NOT NULL,
  `currency` VARCHAR(255) NOT NULL,
  `description` TEXT NOT NULL,
  `items` JSON NOT NULL,
  `discount` FLOAT NOT NULL,
  `tax` FLOAT NOT NULL,
  `total` FLOAT NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Notifications` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `users` JSON NOT NULL,
  `title` VARCHAR(255) NOT NULL,
  `message` VARCHAR(255) NOT NULL,
  `description` VARCHAR(255) NULL,
  `from` VARCHAR(255) NOT NULL,
  `notification_type` ENUM('normal','reminder') NOT NULL DEFAULT 'normal',
  `isRead` TINYINT(1) NOT NULL DEFAULT 0,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- ---- HR: Departments and Designations (@ 6a0c3079, a `branch` each), Leaves (@ 26665cd0:
-- `leaveType` a fixed word, `employeeId` a Users id), Attendances (@ 0d759f68: no tenant
-- column; `employee` a Users id; TIMEs of the day worked). ----

CREATE TABLE `Departments` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `branch` VARCHAR(255) NOT NULL,
  `department_name` VARCHAR(255) NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Designations` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `branch` VARCHAR(255) NOT NULL,
  `designation_name` VARCHAR(255) NOT NULL,
  `client_id` VARCHAR(255) NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Leaves` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `employeeId` VARCHAR(255) NOT NULL,
  `startDate` DATE NOT NULL,
  `endDate` DATE NOT NULL,
  `leaveType` ENUM('sick', 'casual', 'annual', 'other') NOT NULL,
  `reason` TEXT NOT NULL,
  `status` ENUM('pending', 'approved', 'rejected') NULL DEFAULT 'pending',
  `remarks` VARCHAR(255) NULL,
  `isHalfDay` TINYINT(1) NOT NULL DEFAULT 0,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Attendances` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `employee` VARCHAR(255) NOT NULL,
  `date` DATE NOT NULL,
  `startTime` TIME NOT NULL,
  `endTime` TIME NOT NULL,
  `late` VARCHAR(255) NULL,
  `halfDay` TINYINT(1) NULL DEFAULT 0,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

-- ---- Tables with no home here: `DealUsers` (@ 96a84e33, a join table of deals and leads
-- with users) and `Orders` (@ 371ffa75, left empty). The run lists the first in its report. ----

CREATE TABLE `DealUsers` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `dealId` VARCHAR(255) NULL,
  `leadId` VARCHAR(255) NULL,
  `employee` VARCHAR(255) NOT NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);

CREATE TABLE `Orders` (
  `id` VARCHAR(255) NOT NULL PRIMARY KEY,
  `related_id` VARCHAR(255) NOT NULL,
  `client` VARCHAR(255) NOT NULL,
  `items` JSON NOT NULL,
  `total` INT NOT NULL,
  `created_by` VARCHAR(255) NULL,
  `updated_by` VARCHAR(255) NULL,
  `createdAt` DATETIME NOT NULL,
  `updatedAt` DATETIME NOT NULL
);
