/*
 * pg_adoption upgrade 0.3.0 -> 0.4.0.  Each change of 0.4.0 appends its
 * part below, with a comment saying what it adds or changes.
 */
\echo Use "ALTER EXTENSION pg_adoption UPDATE TO '0.4.0'" to load this file. \quit
