/**
 * The host parts of the experiment file, apart from schema.ts so that plug-ins sampled on hosts can use them
 * (schema.ts is built from the plug-in registries, which they are in).
 */
import { z } from 'zod';

/** A host's or group's name (inventory names may be addresses, so a digit may come first). */
export const hostNameSchema = z
  .string()
  .regex(/^[\w][\w.-]*$/, 'host and group names use letters, digits, _ . -');

/** Which hosts: a host or group name, or a list of them. */
export const hostListSchema = z
  .union([hostNameSchema, z.array(hostNameSchema).min(1)])
  .describe('A host or group name (all: every host), or a list of them.');

/** A host of the experiment: where to reach it over SSH and what it is. */
export const hostSpecSchema = z.strictObject({
  address: z.string().min(1).describe('IP address or DNS name to connect to.'),
  port: z.int().min(1).max(65535).default(22).describe('SSH port (default 22).'),
  user: z.string().min(1).optional().describe('Login user (default: the local user).'),
  identity: z
    .string()
    .min(1)
    .optional()
    .describe('Private key file (relative to the experiment file); absent: the SSH agent (SSH_AUTH_SOCK).'),
  groups: z.array(hostNameSchema).default([]).describe('Groups the host is in.'),
  labels: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .default({})
    .describe('Free-form labels.'),
  become: z
    .boolean()
    .default(false)
    .describe('Run commands through sudo -n, for a user that is not root (default false).'),
});
