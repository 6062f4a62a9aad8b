ALTER TABLE "café" ADD COLUMN "b" int;
UPDATE "A" SET "n" = 'été';
