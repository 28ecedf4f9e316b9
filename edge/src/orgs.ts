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

/**
 * What a new organization starts with: it takes no email domain but those it is given (`admin
 * add` gives the first admin's) and every new device waits for an admin's approval before it can
 * sync. Admins open it up in the console's Settings page.
 */
export const ORG_DEFAULTS = { allowedDomains: [] as readonly string[], requireApproval: true } as const;

/** The domain of an email address, lowercased: "Boss@Acme.com" -> "acme.com". */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export async function createOrganization(
  store: EdgeStore,
  input: { name: string; slug?: string; allowedDomains?: readonly string[]; requireApproval?: boolean },
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
    allowedDomains: [...(input.allowedDomains ?? ORG_DEFAULTS.allowedDomains)],
    requireApproval: input.requireApproval ?? ORG_DEFAULTS.requireApproval,
    signingPublicKey: keys.publicKey,
    createdMs: nowMs,
  };
  await store.createOrg({ ...org, signingPrivateKey: keys.privateKey });
  return org;
}

/**
 * Adds an admin (creating the organization on first use): what `ceros-edge admin add` does. A new
 * organization accepts addresses at the first admin's domain only, and approval of new devices.
 */
export async function addAdmin(
  store: EdgeStore,
  input: { email: string; orgName: string; role: 'admin' | 'auditor' },
  nowMs: number,
): Promise<{ org: Org; created: boolean; orgCreated: boolean }> {
  const slug = slugify(input.orgName);
  let org = await store.getOrgBySlug(slug);
  let orgCreated = false;
  if (!org) {
    org = await createOrganization(
      store,
      { name: input.orgName, slug, allowedDomains: [emailDomain(input.email)] },
      nowMs,
    );
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
