// The registry credentials inputs: registry, registry_username and registry_password come together,
// and the credentials go to the registry host named here only (never one a manifest names).
import { matching, text, anyString, type Problems, type Values } from './fields.js';

export const REGISTRY_FIELDS = {
  registry: matching(
    'registry',
    /^[A-Za-z0-9.-]+(:[0-9]+)?$/,
    'a registry host with an optional port (e.g. ghcr.io)',
  ),
  registry_username: text('registry_username', 255),
  registry_password: anyString,
};

/** Credentials and the one host they may be sent to. */
export interface RegistryCredentials {
  registry: string;
  username: string;
  password: string;
}

/** The credentials, when given; each missing part of the three is a problem. */
export function registryCredentials(
  v: Values<typeof REGISTRY_FIELDS>,
  given: (name: keyof typeof REGISTRY_FIELDS) => boolean,
  p: Problems,
): RegistryCredentials | undefined {
  const user = given('registry_username');
  const pass = given('registry_password');
  if (user && !pass) p.add('registry_password: required when registry_username is set');
  if (pass && !user) p.add('registry_username: required when registry_password is set');
  if (given('registry') && !user && !pass)
    p.add('registry_username: required when registry is set (with registry_password)');
  if ((user || pass) && !given('registry'))
    p.add(
      'registry: required when registry_username/registry_password are set: the registry host those credentials are for (e.g. ghcr.io); they are sent to that host only, never to one named in the digest manifest',
    );
  return v.registry_username && v.registry_password && v.registry
    ? { registry: v.registry, username: v.registry_username, password: v.registry_password }
    : undefined;
}
