// Runs the queries of one page (lib/queries.js) and writes them to stdout as
// one JSON object: what the data loaders of src/data return.  node-postgres
// reads the PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGOPTIONS:
// e.g. "-c adoption.tenant_id=acme" for a login role in adoption_tenant).
import pg from "pg";
import {queries} from "./queries.js";

export async function load(page) {
  const client = new pg.Client();
  await client.connect();
  try {
    const out = {};
    for (const [name, sql] of Object.entries(queries[page])) {
      out[name] = (await client.query(sql)).rows;
    }
    process.stdout.write(JSON.stringify(out));
  } finally {
    await client.end();
  }
}
