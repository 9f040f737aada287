import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates a fresh, uniquely named database next to the one `adminUrl` points at; returns its URL. */
export async function createFreshDatabase(adminUrl = DEFAULT_DATABASE_URL, prefix = 'iris_test'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database created by createFreshDatabase (terminating leftover connections first). */
export async function dropDatabase(databaseUrl: string, adminUrl = DEFAULT_DATABASE_URL): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
