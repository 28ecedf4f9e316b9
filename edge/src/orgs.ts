import { randomId } from './auth/secrets.ts';
import { EdgeError } from './errors.ts';
import { generateOrgSigningKey } from './policy/signed-document.ts';
import type { EdgeStore, Org } from './store/store.ts';

/** "Acme Corp" -> "acme-corp": the slug in install links and `--org` flags. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
}

export async function createOrganization(
  store: EdgeStore,
  input: { name: string; slug?: string },
  nowMs: number,
): Promise<Org> {
  const slug = input.slug ?? slugify(input.name);
  if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(slug))
    throw new EdgeError(
      'INVALID_INPUT',
      `Cannot create organization "${input.name}": its slug "${slug}" is not valid`,
    );
  // Production deployments would create this key in a KMS and keep only a reference here.
  const keys = generateOrgSigningKey();
  const org: Org = {
    id: randomId('org'),
    slug,
    name: input.name,
    allowedDomains: [],
    requireApproval: false,
    signingPublicKey: keys.publicKey,
    createdMs: nowMs,
  };
  await store.createOrg({ ...org, signingPrivateKey: keys.privateKey });
  return org;
}

/** Adds an admin (creating the organization on first use): what `ceros-edge admin add` does. */
export async function addAdmin(
  store: EdgeStore,
  input: { email: string; orgName: string; role: 'admin' | 'auditor' },
  nowMs: number,
): Promise<{ org: Org; created: boolean; orgCreated: boolean }> {
  const slug = slugify(input.orgName);
  let org = await store.getOrgBySlug(slug);
  let orgCreated = false;
  if (!org) {
    org = await createOrganization(store, { name: input.orgName, slug }, nowMs);
    orgCreated = true;
  }
  const created = await store.createAdmin({
    id: randomId('adm'),
    orgId: org.id,
    email: input.email.trim().toLowerCase(),
    role: input.role,
    createdMs: nowMs,
  });
  return { org, created, orgCreated };
}
