// The shape of the declarative tables (tables.ts) that say, per OpenMRS REST resource,
// which properties each representation has, in OpenMRS's order, and where each value
// comes from in atomsync's internal `full` form (shared/representation.ts). The
// renderer (render.ts) interprets them; adding a resource means adding a table.
import type { Level } from './custom-spec.ts';

/** How a resource's `display` is computed (render.ts DISPLAYS). `label` is the internal label as is. */
export type DisplayRule =
  | 'label'
  | 'name'
  | 'personName'
  | 'person'
  | 'address1'
  | 'visit'
  | 'encounter'
  | 'obs'
  | 'encounterProvider'
  /** PersonAttributeResource1_8: "{type} = {value}", the value's own display when it is an object. */
  | 'personAttribute'
  /** BaseAttributeCrudResource1_9 (visit, location attributes): "{type}: {value}". */
  | 'typedAttribute'
  /** OrderResource1_8 (concept name) and DrugOrderSubclassHandler1_10 ("(NEW) drug: dosing instructions"). */
  | 'order'
  /** RelationshipResource1_8: "{A's given name} is the {aIsToB} of {B's given name}". */
  | 'relationship'
  | 'uuid';

/** Where a property's value comes from, in the internal row it is rendered from. */
export type Source =
  /**
   * The internal value of the same name (or `from`). `optional`: left out when the row lacks it
   * (concept numeric fields); `orEmpty`: '' for null, as OpenMRS's getters that say StringUtils.isEmpty.
   */
  | { kind: 'field'; from: string; optional?: boolean; orEmpty?: boolean }
  /** A registry reference, rendered as the resource `to` (table name) at the property's level. */
  | { kind: 'ref'; from: string; to: string }
  /** A list of references (location tags), each rendered as `to`. */
  | { kind: 'refList'; from: string; to: string }
  /** The rows of a registry part, rendered as the sub-resource `sub`. `active`: without voided rows. `pick`: one row, OpenMRS's preferred. */
  | { kind: 'part'; from: string; sub: string; active?: boolean; pick?: 'preferred' }
  /** A part's rows, each naming another resource by one of `refs` ([prop, table]), sorted by sortWeight (concept answers, set members). */
  | { kind: 'partRefs'; from: string; refs: Array<[string, string]> }
  /** A one-to-one part shown as a resource of its own (a patient's person). */
  | { kind: 'embed'; from: string; as: string }
  /**
   * Rows of another resource that point at this one (an encounter's obs): `resource`'s reference `via`.
   * `active`: without voided or retired rows; `topLevel`: only rows whose `notInGroup` reference is empty
   * (obs outside groups); `nullWhenEmpty`: OpenMRS shows null rather than [] (an obs's groupMembers).
   */
  | { kind: 'children'; resource: string; via: string; active: boolean; notInGroup?: string; nullWhenEmpty?: boolean }
  /**
   * A person attribute's value (PersonAttributeResource1_8): the text, or, when its type's format
   * makes it a reference, the hydrated object at `rep` (`value` is a ref, `hydratedObject` default).
   */
  | { kind: 'formatValue'; from: string }
  /**
   * OpenMRS's CodedOrFreeText (a diagnosis, a condition): `{specificName?, coded?, nonCoded?}` with
   * only the keys that have a value, `coded` the concept at the property's level. `coded` names the
   * internal references to try in order (a 2.2 condition_coded, a 2.0 concept_id).
   */
  | { kind: 'codedOrFreeText'; coded: string[]; nonCoded: string }
  /** An object a converter builds from this same row (an allergy's allergen): no links, no resourceVersion. */
  | { kind: 'object'; props: Prop[] }
  /** The resource that owns this sub-resource (a patient state's patientProgram), at the property's level. */
  | { kind: 'owner' }
  /** Computed by render.ts COMPUTED. */
  | { kind: 'computed'; fn: 'age' | 'obsValue' | 'conceptName' | 'conceptShortName' | 'formFieldPath' | 'formFieldNamespace' }
  /** A property the registry does not carry: OpenMRS's value for an unset one. */
  | { kind: 'constant'; value: unknown }
  | { kind: 'display' }
  | { kind: 'audit' }
  /** `voided` or `retired`. */
  | { kind: 'lifecycle' };

export interface Prop {
  name: string;
  src: Source;
  /** How an object value is shown at this level (OpenMRS's addProperty(name, rep)); `default` when not given. */
  rep: Level;
}

export interface Table {
  /** OpenMRS's REST name (the URL's resource, or a sub-resource's path: `name`, `identifier`). */
  name: string;
  /** What `resourceVersion` says (the resource class's getResourceVersion()). */
  version: string;
  display: DisplayRule;
  /** Sub-resources are addressed under their parent: `{parent uri}/{path}/{uuid}`. */
  sub?: boolean;
  /**
   * Where rows of a top-level resource are loaded from: registry resources tried in order, the
   * first this database offers (`part`: the one-to-one part of it that is this resource, as a
   * patient's `person` is a person).
   */
  load?: Array<{ resource: string; part?: string }>;
  default: Prop[];
  full: Prop[];
  /** Links of the default representation; OpenMRS adds self and full to most. */
  defaultLinks?: Array<'self' | 'full'>;
  /**
   * The resource's own ref representation, where its class describes one (a program's lists its
   * workflows); without it, the common ref: uuid, display, voided/retired when true, a self link.
   */
  ref?: Prop[];
  /** Links of that own ref representation (self unless said). */
  refLinks?: Array<'self' | 'full'>;
  /**
   * OpenMRS's `type` discriminator of a resource with subclass handlers (an order's `drugorder`):
   * the internal prop holding it. Written after the links in every representation, refs included.
   */
  typeProp?: string;
  /**
   * Properties per subclass, chosen by the row's `typeProp` value (DrugOrderSubclassHandler adds
   * the drug order's fields to the order's); a value without an entry uses `default` and `full`.
   */
  variants?: Record<string, { default: Prop[]; full: Prop[] }>;
  /** Built by a converter, not a resource (an allergy reaction): no links and no resourceVersion. */
  converter?: boolean;
}
