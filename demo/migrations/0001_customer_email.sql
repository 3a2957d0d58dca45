ALTER TABLE "customers" ADD COLUMN "email" text;
--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_email_unique" UNIQUE("email");
