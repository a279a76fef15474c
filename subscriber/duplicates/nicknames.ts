// A small table of common nicknames and spelling variants of given names, so "Liz" meets
// "Elizabeth" and "Mohammed" meets "Mohamed". It is deliberately short (English short forms and a
// few names common at East African sites) and not a dictionary: a site with its own naming
// customs should extend it. Names here are normalised (lower case, letters only).

const GROUPS: readonly string[][] = [
  ['elizabeth', 'liz', 'lizzy', 'beth', 'betty', 'eliza', 'elisabeth'],
  ['margaret', 'maggie', 'peggy', 'meg', 'magret'],
  ['catherine', 'katherine', 'kathryn', 'cathy', 'kate', 'katie', 'kathy'],
  ['rebecca', 'becky', 'rebeka'],
  ['beatrice', 'bea', 'beatrix'],
  ['florence', 'flo', 'florrie'],
  ['agnes', 'aggie'],
  ['esther', 'essie'],
  ['josephine', 'josie', 'jose'],
  ['christine', 'christina', 'tina', 'chris'],
  ['susan', 'sue', 'suzy', 'susana'],
  ['deborah', 'debbie', 'debra'],
  ['william', 'will', 'bill', 'billy', 'willy'],
  ['robert', 'rob', 'bob', 'bobby'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['joseph', 'joe', 'joey', 'yusuf', 'yusufu'],
  ['john', 'johnny', 'jack', 'jon', 'yohana'],
  ['peter', 'pete', 'petro'],
  ['paul', 'paulo'],
  ['samuel', 'sam', 'sammy', 'samwel'],
  ['daniel', 'dan', 'danny'],
  ['david', 'dave', 'daudi'],
  ['stephen', 'steven', 'steve', 'stevie'],
  ['charles', 'charlie', 'chuck'],
  ['francis', 'frank', 'frankie'],
  ['patrick', 'pat', 'paddy'],
  ['emmanuel', 'manu', 'emma', 'immanuel'],
  ['isaac', 'isaka', 'issa'],
  ['moses', 'musa'],
  ['michael', 'mike', 'mikey'],
  ['thomas', 'tom', 'tommy'],
  ['benjamin', 'ben', 'benji'],
  ['dennis', 'denis'],
  ['george', 'georgie'],
  ['mohamed', 'mohammed', 'muhammad', 'mohammad', 'mohamud'],
  ['abdullahi', 'abdulla', 'abdallah', 'abdul'],
  ['rashidi', 'rashid'],
  ['omari', 'omar'],
  ['hassan', 'hasan'],
  ['halima', 'halimah'],
  ['amina', 'aminah'],
  ['mary', 'maria', 'mariamu', 'maryam'],
  ['ruth', 'ruthie'],
  ['naomi', 'nomi'],
];

/** Each name to the first name of its group. */
const CANONICAL = new Map<string, string>(GROUPS.flatMap((g) => g.map((n) => [n, g[0]] as const)));

/** The group a normalised given name belongs to, or the name itself. */
export function nicknameKey(name: string): string {
  return CANONICAL.get(name) ?? name;
}

/** Whether the table knows this normalised given name (so it has a nickname key worth blocking on). */
export function inNicknameTable(name: string): boolean {
  return CANONICAL.has(name);
}

/** Every form of this normalised name the table knows (the name alone when it knows none). */
export function nicknameGroup(name: string): readonly string[] {
  const key = CANONICAL.get(name);
  return key ? (GROUPS.find((g) => g[0] === key) ?? [name]) : [name];
}

/** True when two different normalised names are forms of one name in the table. */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return false;
  const ka = CANONICAL.get(a);
  return ka !== undefined && ka === CANONICAL.get(b);
}
