CREATE TABLE "T" (id int, name text);
COPY "T" (id, name) FROM stdin;
1	O'Brien
2	bob; DROP TABLE "T";
\.
DROP TABLE "U";
