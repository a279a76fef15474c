// A node's own places and people: a district, a health centre with its wards,
// an outlying dispensary, and a handful of providers. These are clinical rows
// (each clinic has its own), so their uuids come from the seed and the node id.
// ensureSite is idempotent by uuid, so a live-activity context can call it
// with the seed the node was seeded with and get the same rows back.
import { queryRows } from '../../shared/db.ts';
import type { PoolConnection } from '../../shared/db.ts';
import type { SqlValue } from './bulk-insert.ts';
import type { RecordIds } from './ensure-record-metadata.ts';
import type { EncounterRoleKey } from './metadata.ts';
import { DISTRICTS, FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, VILLAGES, WARDS } from './names.ts';
import { Rng } from './rng.ts';
import { uuidSequence } from './uuid.ts';

const ADMIN_USER_ID = 1;
export const SITE_COUNTRY = 'Kenya';

export type WardKey = 'opd' | 'mch' | 'lab' | 'ccc' | 'ipd';
const WARD_KEYS: Record<(typeof WARDS)[number], WardKey> = {
  'Outpatient Department': 'opd',
  'Maternal and Child Health': 'mch',
  Laboratory: 'lab',
  'Comprehensive Care Clinic': 'ccc',
  'Inpatient Ward': 'ipd',
};

/** The providers each node gets: title, role in encounters. */
const STAFF: ReadonlyArray<readonly [string, EncounterRoleKey]> = [
  ['Dr.', 'clinician'],
  ['CO', 'clinician'],
  ['Nurse', 'nurse'],
  ['Nurse', 'nurse'],
  ['Lab Tech', 'labTechnician'],
];

interface LocationRow {
  uuid: string;
  key: string;
  parentKey: string | null;
  name: string;
  description: string;
  cityVillage: string;
}

interface ProviderRow {
  uuid: string;
  name: string;
  identifier: string;
  role: EncounterRoleKey;
}

export interface SitePlan {
  district: string;
  province: string;
  town: string;
  latitude: number;
  longitude: number;
  createdAt: string;
  locations: LocationRow[];
  providers: ProviderRow[];
  /** Location attributes of the health centre and the dispensary: [location key, type, value, uuid]. */
  attributes: Array<{ locationKey: string; type: 'facilityCode' | 'keph'; value: string; uuid: string }>;
}

/** Which Reference Application location tags each of the site's locations carries. */
const TAGS: Record<string, ReadonlyArray<'login' | 'visit' | 'admission' | 'transfer'>> = {
  healthCentre: ['visit'],
  dispensary: ['visit', 'login'],
  opd: ['login', 'transfer'],
  mch: ['login', 'transfer'],
  lab: ['login'],
  ccc: ['login', 'transfer'],
  ipd: ['login', 'admission', 'transfer'],
};

/** A node's site with its database ids. */
export interface Site {
  district: string;
  province: string;
  town: string;
  latitude: number;
  longitude: number;
  districtId: number;
  healthCentreId: number;
  dispensaryId: number;
  wards: Record<WardKey, number>;
  providers: Array<{ id: number; role: EncounterRoleKey }>;
}

/** The site of `nodeId` under `seed`; pure. `createdAt` predates all seeded history. */
export function planSite(seed: string, nodeId: string, idPrefix: string, createdAt: string): SitePlan {
  const rng = Rng.from(seed, nodeId, 'site');
  const uuid = uuidSequence(seed, nodeId, 'site');
  const [district, province] = rng.pick(DISTRICTS);
  const [town, outpost] = rng.sample(VILLAGES, 2);
  const loc = (key: string, parentKey: string | null, name: string, description: string, cityVillage: string): LocationRow => ({
    uuid: uuid(),
    key,
    parentKey,
    name,
    description,
    cityVillage,
  });
  const locations = [
    loc('district', null, `${district} District`, `${district} District health office`, town),
    loc('healthCentre', 'district', `${town} Health Centre`, 'Level 4 health centre', town),
    loc('dispensary', 'district', `${outpost} Dispensary`, 'Level 2 dispensary', outpost),
    ...WARDS.map((w) => loc(WARD_KEYS[w], 'healthCentre', `${town} HC - ${w}`, w, town)),
  ];
  const providers = STAFF.map(([title, role], i) => {
    const female = rng.chance(0.5);
    const given = rng.pick(female ? FEMALE_GIVEN_NAMES : MALE_GIVEN_NAMES);
    return { uuid: uuid(), name: `${title} ${given} ${rng.pick(FAMILY_NAMES)}`, identifier: `PRV-${idPrefix}-${String(i + 1).padStart(2, '0')}`, role };
  });
  const latitude = rng.float(-1.5, 1.2, 4);
  const longitude = rng.float(34.2, 37.8, 4);
  // Drawn last, so the site's other rows stay what they were before location attributes existed.
  const attributes = [
    { locationKey: 'healthCentre', type: 'facilityCode' as const, value: String(rng.int(10000, 29999)), uuid: uuid() },
    { locationKey: 'healthCentre', type: 'keph' as const, value: 'Level 4', uuid: uuid() },
    { locationKey: 'dispensary', type: 'facilityCode' as const, value: String(rng.int(10000, 29999)), uuid: uuid() },
    { locationKey: 'dispensary', type: 'keph' as const, value: 'Level 2', uuid: uuid() },
  ];
  return { district, province, town, latitude, longitude, createdAt, locations, providers, attributes };
}

async function idsByUuid(conn: PoolConnection, table: string, key: string, uuids: string[]): Promise<Map<string, number>> {
  const rows = await queryRows<{ id: number; uuid: string }>(conn, `SELECT ${key} AS id, uuid FROM ${table} WHERE uuid IN (?)`, [uuids]);
  return new Map(rows.map((r) => [r.uuid, Number(r.id)]));
}

/** Tags the site's locations and gives the facilities their attributes, where the database has those tables. */
async function ensureLocationDetails(conn: PoolConnection, plan: SitePlan, idOfKey: Map<string, number>, record: RecordIds): Promise<void> {
  if (record.locationTag) {
    const tags = record.locationTag;
    const rows = Object.entries(TAGS).flatMap(([key, list]) => list.map((t) => [idOfKey.get(key) as number, tags[t]]));
    // The pair is the key: IGNORE makes a second run (or a tag already set by hand) a no-op.
    await conn.query('INSERT IGNORE INTO location_tag_map (location_id, location_tag_id) VALUES ?', [rows]);
  }
  if (record.locationAttributeType) {
    const types = record.locationAttributeType;
    const have = await idsByUuid(conn, 'location_attribute', 'location_attribute_id', plan.attributes.map((a) => a.uuid));
    const missing = plan.attributes.filter((a) => !have.has(a.uuid));
    if (missing.length > 0) {
      await conn.query('INSERT INTO location_attribute (location_id, attribute_type_id, value_reference, creator, date_created, uuid) VALUES ?', [
        missing.map((a) => [idOfKey.get(a.locationKey) as number, types[a.type], a.value, ADMIN_USER_ID, plan.createdAt, a.uuid]),
      ]);
    }
  }
}

/** Inserts whatever of the site is missing (parents before children) and returns the site's ids. */
export async function ensureSite(conn: PoolConnection, plan: SitePlan, record: RecordIds): Promise<Site> {
  const ids = await idsByUuid(conn, 'location', 'location_id', plan.locations.map((l) => l.uuid));
  const idOfKey = new Map<string, number>();
  for (const l of plan.locations) {
    let id = ids.get(l.uuid);
    if (id === undefined) {
      const parent = l.parentKey ? idOfKey.get(l.parentKey) ?? null : null;
      const values: SqlValue[] = [
        l.name, l.description, l.cityVillage, plan.province, SITE_COUNTRY, plan.district,
        String(plan.latitude), String(plan.longitude), parent, ADMIN_USER_ID, plan.createdAt, l.uuid,
      ];
      const [res] = (await conn.query(
        `INSERT INTO location (name, description, city_village, state_province, country, county_district,
           latitude, longitude, parent_location, creator, date_created, uuid) VALUES (?)`,
        [values],
      )) as unknown as [{ insertId: number }];
      id = res.insertId;
    }
    idOfKey.set(l.key, id);
  }
  const have = await idsByUuid(conn, 'provider', 'provider_id', plan.providers.map((p) => p.uuid));
  const missing = plan.providers.filter((p) => !have.has(p.uuid));
  if (missing.length > 0) {
    await conn.query('INSERT INTO provider (name, identifier, creator, date_created, uuid) VALUES ?', [
      missing.map((p) => [p.name, p.identifier, ADMIN_USER_ID, plan.createdAt, p.uuid]),
    ]);
  }
  const providerIds = await idsByUuid(conn, 'provider', 'provider_id', plan.providers.map((p) => p.uuid));
  await ensureLocationDetails(conn, plan, idOfKey, record);
  const at = (key: string) => idOfKey.get(key) as number;
  return {
    district: plan.district,
    province: plan.province,
    town: plan.town,
    latitude: plan.latitude,
    longitude: plan.longitude,
    districtId: at('district'),
    healthCentreId: at('healthCentre'),
    dispensaryId: at('dispensary'),
    wards: { opd: at('opd'), mch: at('mch'), lab: at('lab'), ccc: at('ccc'), ipd: at('ipd') },
    providers: plan.providers.map((p) => ({ id: providerIds.get(p.uuid) as number, role: p.role })),
  };
}
