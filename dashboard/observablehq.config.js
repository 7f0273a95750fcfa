// The pg_adoption dashboard (Observable Framework).  Everything it shows is
// read at build time by the data loaders in src/data through node-postgres
// (PG* variables choose the server), from the views and functions that
// docs/bi.md documents.  Nothing is fetched from outside: Plot and Inputs
// come from node_modules, no web fonts (globalStylesheets empty), no search
// index fetch, telemetry off (scripts/dashboard.sh sets
// OBSERVABLE_TELEMETRY_DISABLE).
export default {
  title: "pg_adoption",
  root: "src",
  pages: [
    {name: "Adoption", path: "/"},
    {name: "Health", path: "/health"},
    {name: "Feedback", path: "/feedback"},
    {name: "Campaigns", path: "/campaigns"},
    {name: "Launches", path: "/launches"}
  ],
  theme: ["air", "near-midnight"],
  globalStylesheets: [],
  header: "pg_adoption: adoption, health, feedback, campaigns and launches",
  footer: "Built from the pg_adoption views (docs/bi.md).",
  search: false,
  linkify: false
};
