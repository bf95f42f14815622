/**
 * Ansible inventories, INI and YAML, read without Ansible: which hosts, in which groups, with which variables.
 * Pure: text in, hosts out; reading the file is the caller's.
 *
 * Supported: hosts with inline vars, numeric ranges (`web[01:03]`), `[group:vars]` / `vars:`,
 * `[group:children]` / `children:`, the implicit `all` and `ungrouped`. Variable precedence is Ansible's:
 * `all` < parent group < child group < host; groups at the same depth apply in name order, the later winning.
 * Not supported: Jinja templates in values, `ansible_group_priority`, host_vars/group_vars directories.
 */
import { parse as parseYaml } from 'yaml';
import { InventoryError } from './errors.js';
import type { Host } from './host.js';

export interface InventoryOptions {
  /** User when no `ansible_user` is set (Ansible uses the local user; pass `os.userInfo().username`). */
  defaultUser?: string;
}

/** The parsed structure before hosts are resolved: shared by both syntaxes. */
interface Group {
  hosts: Set<string>;
  children: Set<string>;
  vars: Record<string, string>;
}

type Vars = Record<string, string>;

class Model {
  readonly groups = new Map<string, Group>();
  /** Each host's own vars, in the order hosts were first seen. */
  readonly hostVars = new Map<string, Vars>();

  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { hosts: new Set(), children: new Set(), vars: {} };
      this.groups.set(name, g);
    }
    return g;
  }

  addHost(group: string, host: string, vars: Vars): void {
    this.group(group).hosts.add(host);
    this.hostVars.set(host, { ...this.hostVars.get(host), ...vars });
  }
}

/** Parses INI or YAML: YAML when the first meaningful line does not start with `[` and has a `key:` form. */
export function parseInventory(text: string, options: InventoryOptions = {}): Host[] {
  return looksLikeYaml(text) ? parseYamlInventory(text, options) : parseIniInventory(text, options);
}

function looksLikeYaml(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '---') return true;
    return !line.startsWith('[') && /^[^=\s]+:(\s|$)/.test(line);
  }
  return false;
}

export function parseIniInventory(text: string, options: InventoryOptions = {}): Host[] {
  const model = new Model();
  model.group('all');
  // Hosts before any section are in no group but `all`: Ansible's `ungrouped`.
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = stripComment(lines[i] as string).trim();
    if (line === '') continue;
    const header = /^\[([^\]:\s]+)(?::(vars|children))?\]$/.exec(line);
    if (header) {
      const kind = (header[2] ?? 'hosts') as 'hosts' | 'vars' | 'children';
      section = { group: header[1] as string, kind };
      model.group(section.group);
      continue;
    }
    if (line.startsWith('[')) throw new InventoryError(`bad section header ${line}`, lineNo);
    const words = splitWords(line, lineNo);
    if (section.kind === 'children') {
      if (words.length !== 1) throw new InventoryError(`expected one group name, got ${line}`, lineNo);
      model.group(section.group).children.add(words[0] as string);
      model.group(words[0] as string);
    } else if (section.kind === 'vars') {
      const [key, value] = splitAssignment(line, lineNo);
      model.group(section.group).vars[key] = value;
    } else {
      const [pattern, ...assignments] = words;
      const vars: Vars = {};
      for (const a of assignments) {
        const [key, value] = splitAssignment(a, lineNo);
        vars[key] = value;
      }
      for (const host of expandRange(pattern as string, lineNo)) model.addHost(section.group, host, vars);
    }
  }
  return resolve(model, options);
}

export function parseYamlInventory(text: string, options: InventoryOptions = {}): Host[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InventoryError(`not valid YAML: ${(err as Error).message}`);
  }
  const model = new Model();
  model.group('all');
  if (doc === null || doc === undefined) return [];
  if (!isRecord(doc)) throw new InventoryError('a YAML inventory is a mapping of group names');
  for (const [name, body] of Object.entries(doc)) {
    readYamlGroup(model, name, body, [name]);
    if (name !== 'all') model.group('all').children.add(name);
  }
  return resolve(model, options);
}

function readYamlGroup(model: Model, name: string, body: unknown, path: string[]): void {
  const group = model.group(name);
  if (body === null || body === undefined) return;
  if (!isRecord(body)) throw new InventoryError(`${path.join('.')}: a group is a mapping`);
  for (const key of Object.keys(body)) {
    if (!['hosts', 'vars', 'children'].includes(key)) {
      throw new InventoryError(`${path.join('.')}: unknown key ${key} (expected hosts, vars, children)`);
    }
  }
  const hosts = body.hosts ?? {};
  if (!isRecord(hosts)) throw new InventoryError(`${path.join('.')}.hosts: a mapping of host names`);
  for (const [pattern, vars] of Object.entries(hosts)) {
    const own = vars === null || vars === undefined ? {} : scalarVars(vars, [...path, 'hosts', pattern]);
    for (const host of expandRange(pattern)) model.addHost(name, host, own);
  }
  if (body.vars !== null && body.vars !== undefined) {
    Object.assign(group.vars, scalarVars(body.vars, [...path, 'vars']));
  }
  const children = body.children ?? {};
  if (!isRecord(children)) throw new InventoryError(`${path.join('.')}.children: a mapping of groups`);
  for (const [child, childBody] of Object.entries(children)) {
    group.children.add(child);
    readYamlGroup(model, child, childBody, [...path, 'children', child]);
  }
}

/** Vars become strings, as the INI form has them: the typed fields are parsed from strings alike. */
function scalarVars(value: unknown, path: string[]): Vars {
  if (!isRecord(value)) throw new InventoryError(`${path.join('.')}: expected a mapping of variables`);
  const out: Vars = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) out[k] = '';
    else if (typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = String(v);
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `#` and `;` start a comment at the line's start or after whitespace, but not inside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ((c === '#' || c === ';') && (i === 0 || /\s/.test(line[i - 1] as string)))
      return line.slice(0, i);
  }
  return line;
}

/** Splits on whitespace outside quotes; quotes are kept for splitAssignment to remove. */
function splitWords(line: string, lineNo: number): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const c of line) {
    if (quote) {
      cur += c;
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (/\s/.test(c)) {
      if (cur !== '') words.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quote) throw new InventoryError(`unclosed ${quote}`, lineNo);
  if (cur !== '') words.push(cur);
  return words;
}

function splitAssignment(text: string, lineNo: number): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InventoryError(`expected key=value, got ${text}`, lineNo);
  const key = text.slice(0, eq).trim();
  let value = text.slice(eq + 1).trim();
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
  return [key, value];
}

/** `web[01:03].example` → web01…web03 (zero padding kept); `db[a:c]` → dba, dbb, dbc; one range per name. */
export function expandRange(pattern: string, lineNo?: number): string[] {
  const m = /^(.*)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, pre = '', from = '', to = '', stepText, post = ''] = m;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1) throw new InventoryError(`range step must be ≥ 1 in ${pattern}`, lineNo);
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.startsWith('0') ? from.length : 0;
    const out: string[] = [];
    for (let n = Number(from); n <= Number(to); n += step)
      out.push(pre + String(n).padStart(width, '0') + post);
    if (out.length === 0) throw new InventoryError(`empty range in ${pattern}`, lineNo);
    return out;
  }
  if (/^[a-z]$/.test(from) && /^[a-z]$/.test(to)) {
    const out: string[] = [];
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step)
      out.push(pre + String.fromCharCode(c) + post);
    if (out.length === 0) throw new InventoryError(`empty range in ${pattern}`, lineNo);
    return out;
  }
  throw new InventoryError(`bad range in ${pattern}`, lineNo);
}

/** Each group's depth below `all` (the longest path), which orders whose vars win. Rejects cycles. */
function depths(model: Model): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const [name, g] of model.groups) {
    for (const child of g.children) parents.set(child, [...(parents.get(child) ?? []), name]);
  }
  // A group nobody lists as a child is a child of `all`.
  for (const name of model.groups.keys()) {
    if (name !== 'all' && !parents.has(name)) parents.set(name, ['all']);
  }
  const depth = new Map<string, number>([['all', 0]]);
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new InventoryError(`group ${name} is its own ancestor (children cycle)`);
    visiting.add(name);
    const d = 1 + Math.max(...(parents.get(name) ?? ['all']).map(visit));
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of model.groups.keys()) visit(name);
  return depth;
}

function resolve(model: Model, options: InventoryOptions): Host[] {
  const depth = depths(model);
  // Every group a host is in: a group holds its own hosts and, through children, its descendants' hosts.
  const memberOf = new Map<string, Set<string>>();
  const collect = (group: string, into: string, seen: Set<string>): void => {
    if (seen.has(group)) return;
    seen.add(group);
    const g = model.groups.get(group);
    if (!g) return;
    for (const h of g.hosts) {
      const set = memberOf.get(h) ?? new Set<string>();
      memberOf.set(h, set);
      set.add(into);
    }
    for (const c of g.children) collect(c, into, seen);
  };
  for (const name of model.groups.keys()) collect(name, name, new Set());
  const hosts: Host[] = [];
  for (const [name, own] of model.hostVars) {
    const groups = [...(memberOf.get(name) ?? [])].filter((g) => g !== 'all' && g !== 'ungrouped');
    const ordered = ['all', ...groups].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
    );
    const vars: Vars = {};
    for (const g of ordered) Object.assign(vars, model.groups.get(g)?.vars);
    Object.assign(vars, own);
    hosts.push(toHost(name, groups.sort(), vars, options));
  }
  return hosts;
}

const KNOWN = new Set([
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_ssh_private_key_file',
  'ansible_become',
]);

function toHost(name: string, groups: string[], vars: Vars, options: InventoryOptions): Host {
  const portText = vars.ansible_port ?? '22';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new InventoryError(`host ${name}: ansible_port must be 1-65535, got ${portText}`);
  }
  const user = vars.ansible_user ?? options.defaultUser ?? 'root';
  const labels: Vars = {};
  for (const [k, v] of Object.entries(vars)) if (!KNOWN.has(k)) labels[k] = v;
  const host: Host = {
    name,
    address: vars.ansible_host || name,
    port,
    user,
    groups,
    labels,
    become: parseBool(vars.ansible_become ?? 'false', `host ${name}: ansible_become`),
  };
  const identity = vars.ansible_ssh_private_key_file;
  if (identity) host.identity = identity;
  return host;
}

function parseBool(text: string, what: string): boolean {
  const t = text.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0', ''].includes(t)) return false;
  throw new InventoryError(`${what} must be true or false, got ${text}`);
}
