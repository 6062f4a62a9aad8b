// prisma.config.ts for the interoperability tests (copied into each test project). Prisma 6.19.3
// runs offline only with the JavaScript schema engine and a driver adapter.
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

// Workaround for prisma/orm#27403 (open upstream): @prisma/adapter-pg 6.19.3 cannot read a column
// of PostgreSQL's `name` type (OID 19), which the schema engine's own catalog queries return, so
// `migrate deploy` fails with "Column type 'name' could not be deserialized". A `name` is text;
// we relabel it as text (OID 25) in every result before the adapter sees it.
const NAME_OID = 19;
const TEXT_OID = 25;
function relabel(res: any) {
  for (const field of res?.fields ?? []) if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  return res;
}
const query = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  // pg.Pool calls it with a callback, the adapter's transactions without one.
  const last = args.length - 1;
  if (typeof args[last] === "function") {
    const callback = args[last];
    args[last] = (err: any, res: any) => callback(err, err ? res : relabel(res));
    return (query as any).apply(this, args);
  }
  const result = (query as any).apply(this, args);
  return result && typeof result.then === "function" ? result.then(relabel) : result;
};

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  // allowExitOnIdle: idle pool connections do not keep the CLI process alive after its work.
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL, allowExitOnIdle: true }),
});
