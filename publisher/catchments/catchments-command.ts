// `atomsync catchments address add|list|remove`: the operator maps addresses to locations. A patient
// whose address matches a rule of a location is in every catchment that covers the location
// (address-rules.ts); the running publisher brings the matching patients in at its next routing pass.
import { UsageError, dbUrlArg } from '../../shared/cli/args.ts';
import type { Args, Command, Io } from '../../shared/cli/args.ts';
import { openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { readMeta } from '../../shared/schema/migrate.ts';
import { explainDbError } from '../../shared/start-errors.ts';
import { ADDRESS_FIELDS, AddressFieldError, addAddressRule, listAddressRules, removeAddressRule } from './address-rules.ts';
import type { AddressRule } from './address-rules.ts';

const VERBS = ['add', 'list', 'remove'] as const;
type Verb = (typeof VERBS)[number];

export const catchmentsCommand: Command = {
  name: 'catchments',
  summary: "map patients' addresses to locations, so that they enter the catchments of those locations",
  usage:
    'atomsync catchments address add --db URL --location UUID --field county_district --value Kisumu     ' +
    'atomsync catchments address list --db URL     atomsync catchments address remove --db URL --location UUID --field F --value V',
  positionals: true,
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the parent node's database (migrated)" },
    { name: 'location', type: 'string', env: 'ATOMSYNC_CATCHMENTS_LOCATION', arg: 'UUID', help: 'with add/remove: the location the address maps to' },
    { name: 'field', type: 'string', env: 'ATOMSYNC_CATCHMENTS_FIELD', arg: 'FIELD', help: `with add/remove: a person_address column (${ADDRESS_FIELDS.slice(0, 6).join(', ')}...)` },
    { name: 'value', type: 'string', env: 'ATOMSYNC_CATCHMENTS_VALUE', arg: 'TEXT', help: 'with add/remove: the value that field must have (trimmed, any case)' },
    { name: 'json', type: 'boolean', env: 'ATOMSYNC_CATCHMENTS_JSON', help: 'with list: one JSON object per rule' },
  ],
  notes:
    'A patient with a non-voided address whose field equals the value (trimmed, in any case) is in every catchment\n' +
    "whose locations include the rule's location or a location above it, as if seen there: they enter with their\n" +
    'whole record. Existing patients who match enter at the publisher\'s next routing pass, once. Removing a rule\n' +
    "makes nobody leave. Fields: country, state_province, county_district, city_village, postal_code and address1 to\n" +
    "address15, those this database's person_address has (OpenMRS 2.x has them all; atomsync's own, not address3 on).",
  async run(args: Args, io) {
    const verb = verbOf(args);
    const triple = verb === 'list' ? null : tripleOf(args, verb);
    const url = dbUrlArg(args);
    const pool = openPool(url, { connectionLimit: 2 });
    try {
      const meta = await readMeta(pool).catch((err) => {
        throw explainDbError(err, url);
      });
      if (!meta.node_id) throw new Error('this database has no node id; run `atomsync migrate --node-id ...` first');
      if (verb === 'list') return await list(pool, args, io);
      return await change(pool, verb, triple!, io);
    } catch (err) {
      if (err instanceof AddressFieldError || err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    } finally {
      await pool.end().catch(() => undefined);
    }
  },
};

function verbOf(args: Args): Verb {
  const [noun, verb, extra] = args._ as string[];
  if (noun !== 'address') throw new UsageError(`expected "address add|list|remove" (got ${noun ? `"${noun}"` : 'nothing'})`);
  if (!VERBS.includes(verb as Verb)) throw new UsageError(`expected "address add", "address list" or "address remove" (got ${verb ? `"address ${verb}"` : '"address"'})`);
  if (extra !== undefined) throw new UsageError(`unexpected "${extra}": give the rule with --location, --field and --value`);
  if (verb === 'list' && (args.location !== undefined || args.field !== undefined || args.value !== undefined)) {
    throw new UsageError('address list takes no --location, --field or --value');
  }
  return verb as Verb;
}

function tripleOf(args: Args, verb: Verb): { location: string; field: string; value: string } {
  const missing = ['location', 'field', 'value'].filter((n) => args[n] === undefined || String(args[n]).trim() === '');
  if (missing.length > 0) throw new UsageError(`address ${verb} needs ${missing.map((n) => `--${n}`).join(', ')} (a location uuid, a person_address field and its value)`);
  const field = String(args.field).trim().toLowerCase();
  if (!ADDRESS_FIELDS.includes(field)) throw new UsageError(new AddressFieldError(field, [...ADDRESS_FIELDS]).message);
  return { location: String(args.location), field, value: String(args.value) };
}

const describe = (r: AddressRule) => `${r.field} = ${JSON.stringify(r.value)} -> location ${r.locationUuid}${r.locationName === null ? ' (gone)' : ` (${r.locationName})`}`;

async function change(pool: Pool, verb: Verb, t: { location: string; field: string; value: string }, io: Io): Promise<number> {
  if (verb === 'add') {
    const { added, rule } = await addAddressRule(pool, t.location, t.field, t.value);
    io.out(
      added
        ? `#${rule.id} added: ${describe(rule)}. Patients who match enter the catchments of that location at the publisher's next routing pass`
        : `#${rule.id} is there already: ${describe(rule)}; nothing done`,
    );
    return 0;
  }
  const removed = await removeAddressRule(pool, t.location, t.field, t.value);
  if (!removed) {
    io.err(`no such rule: ${t.field} = ${JSON.stringify(t.value.trim())} -> location ${t.location.trim()}; see atomsync catchments address list`);
    return 1;
  }
  io.out(`#${removed.id} removed: ${describe(removed)}. The patients it brought in stay in their catchments`);
  return 0;
}

async function list(pool: Pool, args: Args, io: Io): Promise<number> {
  const rules = await listAddressRules(pool);
  if (args.json) {
    for (const r of rules) io.out(JSON.stringify(r));
    return 0;
  }
  io.out(rules.length === 0 ? 'no address rules' : `${rules.length} address rule${rules.length === 1 ? '' : 's'}:`);
  for (const r of rules) io.out(`#${r.id}  ${describe(r)}  added ${r.createdAt.slice(0, 19)}`);
  return 0;
}
